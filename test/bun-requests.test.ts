import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServerProcess } from "../bench/server-process";
import { createLiveDrop, createSellerAccount } from "../src/stampede";

/**
 * What the app learns from the connection rather than the request, on each runtime's own server:
 * the client's address (per-client purchase limit, sign-in throttle) and the URL of a request without a
 * Host header (HTTP/1.0, e.g. HAProxy's default `option httpchk`). Node is the control: the same
 * requests to `npm run start:node`.
 */
type Answer = { status: number; body: string };

/** One request on a connection of its own, from `localAddress` (any 127.x address is this machine). */
function send(
  url: string,
  options: { method?: string; localAddress?: string; body?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method ?? "GET",
        agent: false,
        localAddress: options.localAddress,
        headers: options.body ? { "content-type": "application/json" } : {},
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The raw bytes of an HTTP/1.0 request with no Host header, and the status line of the answer. */
function http10WithoutHost(url: string, path: string): Promise<string> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = new net.Socket();
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(received.split("\r\n")[0] ?? ""));
    socket.connect(Number(port), hostname, () => socket.write(`GET ${path} HTTP/1.0\r\n\r\n`));
  });
}

/** Sends the head and part of a body, then closes the socket: a client giving up mid-upload. */
function abortMidBody(url: string, head: string, part: string): Promise<void> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(head + part);
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 50);
    });
    socket.on("error", () => resolve());
  });
}

describe.each(["bun", "node"] as const)("on %s", (runtime) => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServerProcess(
      { DATA_DIR: "memory", PURCHASE_RATE_LIMIT: "1", PURCHASE_RATE_BURST: "3" },
      runtime,
    );
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("limits purchases per client address: one client's burst leaves another's untouched", async () => {
    const apiKey = await createSellerAccount(server.url);
    const drop = await createLiveDrop(server.url, apiKey, 100, `Per client on ${runtime}`);
    const buy = (fan: string, localAddress: string) =>
      send(`${server.url}/api/drops/${drop.id}/purchase`, {
        method: "POST",
        localAddress,
        body: JSON.stringify({ fan }),
      });
    const first: number[] = [];
    for (let i = 0; i < 6; i++) first.push((await buy(`a${i}@example.com`, "127.0.0.1")).status);
    // The control: the limit bites for the client that sent the burst.
    expect(first.slice(0, 3)).toEqual([201, 201, 201]);
    expect(first).toContain(429);
    expect((await buy("b@example.com", "127.0.0.2")).status).toBe(201);
  });

  it("answers an HTTP/1.0 request without a Host header (HAProxy's default health check)", async () => {
    expect(await http10WithoutHost(server.url, "/healthz")).toMatch(/^HTTP\/1\.[01] 200/);
    expect(await http10WithoutHost(server.url, "/readyz")).toMatch(/^HTTP\/1\.[01] 200/);
  });

  it("logs a client that gives up mid-upload as no warning or error (finding 9)", async () => {
    const head = (path: string, framing: string) =>
      `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`;
    const before = server.output().length;
    await Promise.all(
      Array.from({ length: 5 }, () => [
        abortMidBody(
          server.url,
          head("/api/drops/some-drop/purchase", "Content-Length: 5000"),
          '{"fan":"slow',
        ),
        abortMidBody(server.url, head("/api/sellers", "Content-Length: 5000"), '{"email":"slow'),
        abortMidBody(server.url, head("/api/sellers", "Transfer-Encoding: chunked"), '5\r\n{"ema\r\n'),
      ]).flat(),
    );
    // The server has read the aborts once it answers a request sent after them; its log lines follow.
    expect((await send(`${server.url}/healthz`, {})).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const loud = server
      .output()
      .slice(before)
      .split("\n")
      .filter((line) => /"level":(4|5|6)\d/.test(line));
    expect(loud).toEqual([]);
  });
});
