import { describe, expect, it } from "vitest";
import type { Drop, StockSnapshot } from "../src/domain/types";
import { createStockWatcher } from "../src/web/fan/stock-watcher";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const drop = (overrides: Partial<Drop> = {}): Drop => ({
  id: "7d0c4f0e-0000-4000-8000-000000000001",
  sellerId: "7d0c4f0e-0000-4000-8000-000000000002",
  slug: "hoodie-abc123",
  title: "Hoodie",
  description: "",
  priceCents: 4900,
  currency: "USD",
  quantity: 10,
  startsAt: new Date("2026-01-01T00:00:00Z"),
  maxPerFan: 1,
  bucketCount: 1,
  isRehearsal: false,
  createdAt: new Date("2025-12-01T00:00:00Z"),
  pausedAt: null,
  cancelledAt: null,
  holdSeconds: 0,
  verifiedFans: false,
  ...overrides,
});

/** A stock reader whose answers the test sets (the same for every drop), counting how often it is asked. */
function fakeStock(remaining: number, serverTime = new Date("2026-01-01T00:00:10Z")) {
  const stock = { remaining, serverTime, reads: 0, failNext: false };
  const read = async (ids: readonly string[]): Promise<Map<string, StockSnapshot>> => {
    stock.reads++;
    await sleep(1);
    if (stock.failNext) {
      stock.failNext = false;
      throw new Error("database went away");
    }
    return new Map(ids.map((id) => [id, { remaining: stock.remaining, serverTime: stock.serverTime }]));
  };
  return { stock, read };
}

describe("stock watcher", () => {
  it("serves 1,000 subscribers of one drop from a single reading loop", async () => {
    const { stock, read } = fakeStock(7);
    const watcher = createStockWatcher({ read, intervalMs: 20 });
    const subs = Array.from({ length: 1000 }, () => watcher.subscribe(drop()));
    const first = await Promise.all(subs.map((s) => s.next()));
    expect(first.every((u) => u?.remaining === 7 && u.status === "live")).toBe(true);
    expect(stock.reads).toBe(1);

    stock.remaining = 6;
    const second = await Promise.all(subs.map((s) => s.next()));
    expect(second.every((u) => u?.remaining === 6)).toBe(true);
    // One read per interval, however many subscribers: a handful, not a thousand.
    expect(stock.reads).toBeLessThanOrEqual(3);
    for (const s of subs) s.close();
    expect(watcher.watching().size).toBe(0);
  });

  it("stops reading when the last subscriber leaves and starts again with the next", async () => {
    const { stock, read } = fakeStock(5);
    const watcher = createStockWatcher({ read, intervalMs: 10 });
    const sub = watcher.subscribe(drop());
    await sub.next();
    sub.close();
    await sleep(30);
    const readsAfterClose = stock.reads;
    await sleep(60);
    expect(stock.reads).toBe(readsAfterClose);
    expect(watcher.watching().size).toBe(0);

    const again = watcher.subscribe(drop());
    expect(await again.next()).toMatchObject({ remaining: 5 });
    expect(stock.reads).toBe(readsAfterClose + 1);
    again.close();
  });

  it("only wakes subscribers on a change of stock or status, and a slow one gets the latest", async () => {
    const { stock, read } = fakeStock(9, new Date("2025-12-31T23:59:59Z"));
    const watcher = createStockWatcher({ read, intervalMs: 5 });
    const sub = watcher.subscribe(drop());
    expect(await sub.next()).toMatchObject({ remaining: 9, status: "upcoming" });

    let woke = false;
    const waiting = sub.next().then((u) => {
      woke = true;
      return u;
    });
    await sleep(40);
    expect(woke).toBe(false);

    stock.serverTime = new Date("2026-01-01T00:00:01Z");
    expect(await waiting).toMatchObject({ remaining: 9, status: "live" });

    // Not asking for a while: the updates in between are skipped, not queued.
    stock.remaining = 8;
    await sleep(20);
    stock.remaining = 4;
    await sleep(20);
    expect(await sub.next()).toMatchObject({ remaining: 4 });
    sub.close();
  });

  it("reads once more after sold out, then never again, and late subscribers still hear it", async () => {
    const { stock, read } = fakeStock(1);
    const watcher = createStockWatcher({ read, intervalMs: 5 });
    const sub = watcher.subscribe(drop());
    await sub.next();
    stock.remaining = 0;
    expect(await sub.next()).toMatchObject({ remaining: 0, status: "sold_out" });
    const reads = stock.reads;
    await sleep(40);
    expect(stock.reads).toBe(reads);

    const late = watcher.subscribe(drop());
    expect(await late.next()).toMatchObject({ status: "sold_out" });
    expect(stock.reads).toBe(reads);
    sub.close();
    late.close();
    expect(watcher.watching().size).toBe(0);
  });

  it("forgets a final sold out when a unit comes back (reopen): the next page view reads afresh", async () => {
    const { stock, read } = fakeStock(1);
    const watcher = createStockWatcher({ read, intervalMs: 5 });
    const sub = watcher.subscribe(drop());
    await sub.next();
    stock.remaining = 0;
    expect(await sub.next()).toMatchObject({ status: "sold_out" });
    expect(watcher.peek(drop())?.status).toBe("sold_out");
    stock.remaining = 1; // a seller's refund returned a unit
    watcher.reopen(drop().id);
    expect(watcher.peek(drop())).toBeUndefined();
    sub.close();
  });

  it("lends its fresh read to others, with the database time moved on; nothing when not watching", async () => {
    const { stock, read } = fakeStock(3, new Date("2025-12-31T23:59:59.900Z"));
    const watcher = createStockWatcher({ read, intervalMs: 1000 });
    expect(watcher.peek(drop())).toBeUndefined();
    const sub = watcher.subscribe(drop());
    expect(await sub.next()).toMatchObject({ status: "upcoming" });
    await sleep(150);
    const seen = watcher.peek(drop());
    expect(seen?.remaining).toBe(3);
    expect(seen!.serverTime.getTime()).toBeGreaterThanOrEqual(Date.parse("2026-01-01T00:00:00.040Z"));
    // Go-live is judged on the moved-on time, not the stale read.
    expect(seen?.status).toBe("live");
    expect(stock.reads).toBe(1);
    sub.close();
    expect(watcher.peek(drop())).toBeUndefined();
  });

  it("keeps going after a failed read and reports it", async () => {
    const { stock, read } = fakeStock(3);
    const errors: unknown[] = [];
    const watcher = createStockWatcher({ read, intervalMs: 5, onReadError: (e) => errors.push(e) });
    stock.failNext = true;
    const sub = watcher.subscribe(drop());
    expect(await sub.next()).toMatchObject({ remaining: 3 });
    expect(errors).toHaveLength(1);
    expect(stock.reads).toBe(2);
    sub.close();
  });

  it("answers a closed subscription with undefined, also to a pending wait", async () => {
    const { read } = fakeStock(3);
    const watcher = createStockWatcher({ read, intervalMs: 5 });
    const sub = watcher.subscribe(drop());
    await sub.next();
    const pending = sub.next();
    sub.close();
    expect(await pending).toBeUndefined();
    expect(await sub.next()).toBeUndefined();
  });
});
