import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpServerLimits } from "../src/config";
import { type RunningHttpServer, startHttpServer } from "../src/process/http-server";
import { connectTo, untilClosed } from "./support/raw-http";

/**
 * Outside review, finding 2: 21,000 connections that sent nothing were never timed out and exhausted file
 * descriptors; slow bodies were cut only after 310 s. A real server on a socket, with small limits, must
 * close silent, slow and surplus connections by itself. (Closing is awaited, never timed: the limits are far
 * below the test's own timeout, which would fail it if the server never closed them.)
 */
const limits: HttpServerLimits = {
  headersTimeoutMs: 1500,
  requestTimeoutMs: 2500,
  keepAliveTimeoutMs: 500,
  idleTimeoutMs: 2000,
  maxConnections: 20,
  connectionReserve: 0,
};

let running: RunningHttpServer;

beforeAll(async () => {
  const fetch = async (request: Request) => new Response(`read ${(await request.text()).length} bytes`);
  running = await startHttpServer(fetch, { host: "127.0.0.1", port: 0, limits });
});

afterAll(async () => {
  running.server.closeAllConnections();
  await new Promise((resolve) => running.server.close(resolve));
});

const connect = () => connectTo(running.address.port);

describe("the HTTP server's own limits (finding 2)", { timeout: 20_000 }, () => {
  it("closes connections that never send a byte", async () => {
    const sockets = await Promise.all(Array.from({ length: 5 }, connect));
    const closed = await Promise.all(sockets.map(untilClosed));
    expect(closed).toHaveLength(5);
  });

  it("cuts a request whose headers never finish", async () => {
    const socket = await connect();
    const closed = untilClosed(socket);
    socket.write("POST /x HTTP/1.1\r\nHost: localhost\r\n");
    const ticker = setInterval(() => socket.writable && socket.write("X-Slow: 1\r\n"), 200);
    await closed;
    clearInterval(ticker);
  });

  it("cuts a body that trickles in too slowly, answering 408", async () => {
    const socket = await connect();
    const closed = untilClosed(socket);
    socket.write("POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n");
    const ticker = setInterval(() => socket.writable && socket.write("a"), 100);
    const answer = await closed;
    clearInterval(ticker);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it("closes an idle keep-alive connection after its answer", async () => {
    const socket = await connect();
    const closed = untilClosed(socket);
    socket.write("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n");
    expect(await closed).toMatch(/^HTTP\/1\.1 200/);
  });

  it("refuses sockets beyond the cap at once, and serves again once they are gone", async () => {
    const held = await Promise.all(Array.from({ length: limits.maxConnections }, connect));
    const surplus = await connect();
    const surplusClosed = untilClosed(surplus);
    surplus.write("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n");
    expect(await surplusClosed).toBe("");
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const response = await fetch(`http://127.0.0.1:${running.address.port}/x`);
    expect(response.status).toBe(200);
  });
});
