import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import type { Drop, Seller } from "../src/domain/types";
import { type RunningHttpServer, startHttpServer } from "../src/process/http-server";
import * as repo from "../src/repository";
import { fanRoutes } from "../src/web/fan/fan-routes";
import { createStockWatcher, type StockWatcher } from "../src/web/fan/stock-watcher";
import { appWithSeller, hoodieDrop } from "./support/shop-fixtures";
import { parseEvents } from "./support/sse-events";

/**
 * The live counter as Node's server sends it: written straight to the socket (src/process/detached-response.ts)
 * rather than through a ReadableStream as under `app.request` (web-fan-stream.test.ts). The same events, the
 * headers every middleware set after the route ran, heartbeats, the end at sold out, and nothing left behind
 * by a page that vanished.
 */
let db: Database;
let app: ReturnType<typeof createApp>;
let seller: Seller;
let watcher: StockWatcher;
let running: RunningHttpServer;
let base: string;

beforeAll(async () => {
  ({ db, app, seller } = await appWithSeller("nodestream@example.com"));
  watcher = createStockWatcher({ read: (ids) => repo.readStocks(db, ids), intervalMs: 20 });
  const served = new Hono();
  // As request-context, secure-headers and the drain's Connection: close do: headers set before the route,
  // on the response after it, and through c.header after it (which copies the answer into a new Response).
  served.use("*", async (c, next) => {
    c.header("X-Set-Before", "yes");
    await next();
    c.res.headers.set("X-Set-After", "yes");
    c.header("X-Header-After", "yes");
    c.header("Set-Cookie", "a=1", { append: true });
    c.header("Set-Cookie", "b=2", { append: true });
  });
  served.route("/d", fanRoutes(app.shop, { watcher, heartbeatMs: 60, reconnectMs: 1500 }));
  const limits = {
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5000,
    idleTimeoutMs: 60_000,
    maxConnections: 100,
  };
  running = await startHttpServer(served.fetch, { host: "127.0.0.1", port: 0, limits });
  base = `http://127.0.0.1:${running.address.port}`;
});

afterAll(async () => {
  running?.server.closeAllConnections();
  await new Promise((resolve) => running?.server.close(resolve));
  await db?.close();
});

const newDrop = (quantity: number): Promise<Drop> => app.shop.createDrop(seller, hoodieDrop({ quantity }));

/** Reads the body until `text` has arrived; resolves with everything read so far. */
async function readUntil(reader: ReadableStreamDefaultReader<string>, seen: { text: string }, text: string) {
  while (!seen.text.includes(text)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the stream ended before "${text}": ${seen.text}`);
    seen.text += value;
  }
}

describe("the live counter on Node's server", { timeout: 30_000 }, () => {
  it("sends the retry hint, the counter and heartbeats with every middleware's headers, and ends at sold out", async () => {
    const drop = await newDrop(2);
    const res = await fetch(`${base}/d/${drop.slug}/stream`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("cache-control")).toBe("no-cache");
    for (const name of ["x-set-before", "x-set-after", "x-header-after"])
      expect(res.headers.get(name)).toBe("yes");
    expect(res.headers.get("x-dropfront-detached")).toBeNull();
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const seen = { text: "" };
    await readUntil(reader, seen, "event: stock");
    expect(seen.text.startsWith("retry: 1500\n\n")).toBe(true);
    await readUntil(reader, seen, ": heartbeat\n\n: heartbeat\n\n");
    for (const fan of ["a@example.com", "b@example.com"]) await app.shop.purchase(drop.id, { fan });
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) seen.text += chunk.value;
    expect(parseEvents(seen.text).at(-1)?.event).toBe("soldout");
    expect(watcher.openCount()).toBe(0);
  });

  it("forgets a stream whose page vanished: no subscription, no watch", async () => {
    const drop = await newDrop(5);
    const controller = new AbortController();
    const streams = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${base}/d/${drop.slug}/stream`, { signal: controller.signal })),
    );
    expect(streams.every((res) => res.status === 200)).toBe(true);
    expect(watcher.openCount()).toBe(20);
    controller.abort();
    // Awaited, never timed: the file's timeout fails a server that never lets go.
    while (watcher.openCount() > 0 || watcher.watching().size > 0)
      await new Promise((r) => setTimeout(r, 20));
    expect(watcher.openCount()).toBe(0);
  });
});
