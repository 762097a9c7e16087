import http from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import type { Drop, Seller } from "../src/domain/types";
import * as repo from "../src/repository";
import { createLiveDrop, createSellerAccount } from "../src/stampede";
import { type LocalServer, startLocalServer } from "../src/stampede/local-server";
import { fanRoutes } from "../src/web/fan/fan-routes";
import { createStockWatcher, type StockWatcher } from "../src/web/fan/stock-watcher";
import { openTestDatabase } from "./support/databases";
import { describeVerdict, faultStampede, settleAndAudit } from "./support/fault-stampede";
import { hoodieDrop } from "./support/shop-fixtures";

/**
 * Clients that go away: buyers that hang up before their answer, and live-counter (SSE) pages that vanish
 * without a goodbye (a phone losing signal: the socket is destroyed). Nothing may leak — no watcher, no
 * reading loop, no heartbeat timer, no open socket — and the books must still balance.
 */
const timeouts = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;

describe("clients that vanish", () => {
  let db: Database;

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
  });
  afterAll(async () => db?.close());

  describe("live-counter streams over a real socket", () => {
    let watcher: StockWatcher;
    let server: ReturnType<typeof serve>;
    let port: number;
    let drop: Drop;
    let seller: Seller;

    beforeAll(async () => {
      const app = createApp({ db, logError: () => undefined });
      ({ seller } = await app.shop.createSeller({
        email: "vanish@example.com",
        name: "Ada",
        password: "a long password",
      }));
      drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 50 }));
      watcher = createStockWatcher({ read: (ids) => repo.readStocks(db, ids), intervalMs: 20 });
      const fan = new Hono().route("/d", fanRoutes(app.shop, { watcher, heartbeatMs: 50 }));
      await new Promise<void>((resolve) => {
        server = serve({ fetch: fan.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => {
          port = info.port;
          resolve();
        });
      });
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    });

    /** Opens a stream and resolves with its socket once the first stock event arrived. */
    const openStream = () =>
      new Promise<http.ClientRequest>((resolve, reject) => {
        const req = http.get(
          { host: "127.0.0.1", port, path: `/d/${drop.slug}/stream`, agent: false },
          (res) => {
            let seen = "";
            res.on("data", (chunk: Buffer) => {
              seen += chunk.toString();
              if (seen.includes("event: stock")) resolve(req);
            });
            res.on("error", () => undefined);
          },
        );
        req.on("error", (error) => (req.destroyed ? undefined : reject(error)));
      });

    const openConnections = () =>
      new Promise<number>((resolve) => server.getConnections((_error, count) => resolve(count)));

    it("100 pages that vanish leave no watcher, no reading loop, no heartbeat timer and no socket", async () => {
      const baseline = timeouts();
      const streams = await Promise.all(Array.from({ length: 100 }, openStream));
      expect(watcher.watching().get(drop.id)).toBe(100);
      // Half lose their connection abruptly; the other half after a heartbeat or two.
      for (const req of streams.slice(0, 50)) req.socket?.destroy();
      await new Promise((resolve) => setTimeout(resolve, 120));
      for (const req of streams.slice(50)) req.socket?.resetAndDestroy();

      await expect.poll(() => watcher.watching().size, { timeout: 10_000 }).toBe(0);
      await expect.poll(openConnections, { timeout: 10_000 }).toBe(0);
      await expect.poll(timeouts, { timeout: 10_000 }).toBeLessThanOrEqual(baseline);
    });
  });

  describe("buyers that hang up mid-request", () => {
    let server: LocalServer;
    const unexpected: unknown[] = [];

    beforeAll(async () => {
      server = await startLocalServer({ db, logError: (error) => unexpected.push(error) });
    });
    afterAll(async () => server?.close());

    it("every order either reached its buyer or is returned to the retry with the same key", async () => {
      const apiKey = await createSellerAccount(server.url);
      const drop = await createLiveDrop(server.url, apiKey, 100);
      // A 20 ms patience: requests are abandoned at every stage — before they reach the server, while they
      // wait for the database, and after they bought but before the answer came back.
      const run = await faultStampede({
        baseUrl: server.url,
        dropId: drop.id,
        attempts: 200,
        concurrency: 20,
        requestTimeoutMs: 20,
      });
      const hungUp = run.answers.filter((answer) => answer.status === 0).length;
      const verdict = await settleAndAudit(run, apiKey);
      console.info(`${describeVerdict("buyers hanging up", verdict)}; ${hungUp} requests abandoned`);
      expect(hungUp).toBeGreaterThan(0);
      expect(verdict.breaches).toEqual([]);
      expect(verdict.sold).toBe(100);
      expect(unexpected).toEqual([]);
    });
  });
});
