import { describe, expect, it } from "vitest";
import type { HttpServerLimits } from "../src/config";
import { bunServeForFile } from "./support/bun-serve";
import { connectTo, untilClosed } from "./support/raw-http";

/**
 * Outside review, finding 2 (silent and slow clients holding sockets) on the default runtime: src/serve.ts
 * under Bun, in a child process. Bun.serve has one knob, `idleTimeout`, set from HTTP_IDLE_TIMEOUT_MS; on
 * top of it Bun closes a connection whose first request's headers have not arrived after about 10 s, as
 * Node's headersTimeout does. What Bun.serve has no knob for (a total bound on a slow body, a connection
 * cap) is said in docs/deploying.md, "Runtimes: Bun by default, Node alongside"; server-timeouts.test.ts covers Node's server.
 * Closing is awaited, never timed; the file's timeout would fail a server that never closes.
 */
const limits: HttpServerLimits = {
  headersTimeoutMs: 1500,
  requestTimeoutMs: 2500,
  keepAliveTimeoutMs: 500,
  idleTimeoutMs: 2000,
  maxConnections: 20,
};

const bun = bunServeForFile(limits);

const connect = () => connectTo(bun.port);

describe.concurrent("Bun.serve's limits, as src/serve.ts sets them (finding 2)", { timeout: 40_000 }, () => {
  it("closes connections that never send a byte", async () => {
    const sockets = await Promise.all(Array.from({ length: 5 }, connect));
    const closed = await Promise.all(sockets.map(untilClosed));
    expect(closed).toEqual(["", "", "", "", ""]);
  });

  it("cuts a request whose headers never finish, though a byte arrives well inside the idle timeout", async () => {
    const socket = await connect();
    const closed = untilClosed(socket);
    socket.write("POST /x HTTP/1.1\r\nHost: localhost\r\n");
    const ticker = setInterval(() => socket.writable && socket.write("X-Slow: 1\r\n"), 200);
    expect(await closed).toBe("");
    clearInterval(ticker);
  });

  it("closes an idle keep-alive connection after its answer", async () => {
    const socket = await connect();
    const closed = untilClosed(socket);
    socket.write("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n");
    expect(await closed).toMatch(/^HTTP\/1\.1 200/);
  });
});
