import { describe, expect, it } from "vitest";
import type { HttpServerLimits } from "../src/config";
import { bunServeForFile } from "./support/bun-serve";
import { connectTo, send } from "./support/raw-http";

/**
 * Issue 15 §1 on the default runtime: Bun at its descriptor limit answered /healthz with a p99 of 11.5 s.
 * Bun.serve has no connection cap, so src/serve.ts counts requests in flight (open live-counter streams
 * among them) against HTTP_MAX_CONNECTIONS: beyond it, health checks and purchases are still served and
 * anything else is answered 503 at once. src/serve.ts under Bun in a child (test/support/serve-fixture.ts,
 * whose app reads the body and answers); requests held open by bodies that never finish stand for streams.
 */
const limits: HttpServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 500,
  idleTimeoutMs: 30_000,
  maxConnections: 10,
};

const bun = bunServeForFile(limits);

describe("Bun.serve at HTTP_MAX_CONNECTIONS requests in flight", { timeout: 40_000 }, () => {
  it("still answers health checks and purchases, and answers anything else 503 at once", async () => {
    const held = await Promise.all(Array.from({ length: limits.maxConnections }, () => connectTo(bun.port)));
    for (const socket of held)
      socket.write("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n{");
    const base = `http://127.0.0.1:${bun.port}`;
    try {
      // Once every held request is in flight, the next one not reserved is refused: awaited, never timed.
      let other = await send(`${base}/d/hoodie/stream`, {});
      for (let tries = 1; other.status !== 503 && tries < 500; tries++)
        other = await send(`${base}/d/hoodie/stream`, {});
      expect(other.status).toBe(503);
      expect(JSON.parse(other.body)).toMatchObject({ error: "busy" });
      expect(await send(`${base}/healthz`, {})).toEqual({ status: 200, body: "read 0 bytes" });
      const purchase = await send(`${base}/api/drops/d1/purchase`, { method: "POST", body: "{}" });
      expect(purchase).toEqual({ status: 200, body: "read 2 bytes" });
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
});
