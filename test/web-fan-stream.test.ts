import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import type { Drop, Seller } from "../src/domain/types";
import * as repo from "../src/repository";
import { fanRoutes } from "../src/web/fan/fan-routes";
import { createStockWatcher } from "../src/web/fan/stock-watcher";
import { openTestDatabase } from "./support/databases";
import { type SseEvent, sseReader } from "./support/sse";

let db: Database;
/** Every statement the app sent, so a test can count what its streams cost the database. */
let statements: string[] = [];
let app: ReturnType<typeof createApp>;
let seller: Seller;

beforeAll(async () => {
  db = await openTestDatabase("pglite");
  const counted: Database = {
    ...db,
    query: (text, params) => {
      statements.push(text);
      return db.query(text, params);
    },
  };
  app = createApp({ db: counted, logError: () => undefined });
  ({ seller } = await app.shop.createSeller({
    email: "fanstream@example.com",
    name: "Ada",
    password: "a long password",
  }));
});
afterAll(async () => db?.close());

const newDrop = (quantity: number, startsAt = new Date(Date.now() - 60_000)): Promise<Drop> =>
  app.shop.createDrop(seller, {
    title: "Hoodie",
    description: "",
    priceCents: 4900,
    currency: "USD",
    quantity,
    startsAt,
    maxPerFan: 1,
  });

async function openStream(target: { request: typeof app.request }, drop: Drop) {
  const res = await target.request(`/d/${drop.slug}/stream`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  return sseReader(res.body!);
}

/** The drop's state as the page renders it into #drop-state (checked against the page in web-fan-page). */
const liveState = (remaining: number, quantity: number) =>
  `<div class="state state-live" data-remaining="${remaining}" data-status="live"><p class="state-head"><span class="badge badge-live">Live</span></p><p class="stock-count"><b class="w-${String(quantity).length}">${remaining}</b> <span>of ${quantity} left</span></p><progress class="meter" max="${quantity}" value="${remaining}" aria-hidden="true"></progress></div>`;

/** The sold-out state of a 3-unit drop, exactly as a page loaded after the sell-out shows it. */
const soldOutState =
  '<div class="state state-sold_out" data-remaining="0" data-status="sold_out"><p class="state-head"><span class="badge badge-sold_out">Sold out</span></p><p class="stock-count">All 3 units are taken.</p><progress class="meter" max="3" value="0" aria-hidden="true"></progress><p class="state-next">Every unit found its buyer. <a href="/s/ada">More drops from Ada</a></p></div>';

/** Statements reading stock: the purchase's, and the watcher's one read of every watched drop (repo.readStocks). */
const stockReads = () =>
  statements.filter((s) => /FROM stock_buckets (s )?WHERE (s\.)?drop_id/.test(s)).length;

describe("live stock stream", () => {
  it("serves 500 open streams of one drop from a handful of stock reads, and ends them at sold out", async () => {
    const drop = await newDrop(3);
    statements = [];
    const streams = await Promise.all(Array.from({ length: 500 }, () => openStream(app, drop)));
    const hello = await Promise.all(streams.map(async (s) => [await s.next(), await s.next()]));
    for (const [retry, stock] of hello) {
      expect(retry).toEqual({ retry: "3000" });
      expect(stock).toEqual({ event: "stock", data: liveState(3, 3) });
    }
    // 500 pages opened the counter; the database answered one or two reads, not 500.
    expect(stockReads()).toBeLessThanOrEqual(2);
    // Besides stock: the shop (named in the sold-out state) and pictures, read once for all 500.
    expect(statements.length).toBeLessThanOrEqual(stockReads() + 2);

    const startedAt = Date.now();
    const readsBefore = stockReads();
    for (const fan of ["a", "b", "c"]) await app.shop.purchase(drop.id, { fan });
    const endings = await Promise.all(
      streams.map(async (s) => {
        const seen: SseEvent[] = [];
        for (let e = await s.next(); e; e = await s.next()) seen.push(e);
        return seen;
      }),
    );
    // Loaded once the watcher has seen the sell-out: a page view reuses its reading, which may lag the
    // last sale by up to two polls (by design), so a page loaded in between could still show the last count.
    const soldOutPage = await (await app.request(`/d/${drop.slug}`)).text();
    for (const seen of endings) {
      // A slow reader may skip counts in between; every stream ends with the announcement and the final event.
      expect(soldOutPage).toContain(`<div id="drop-state">${soldOutState}</div>`);
      expect(seen.slice(-2)).toEqual([
        { event: "announce", data: "Sold out." },
        { event: "soldout", data: soldOutState },
      ]);
      expect(seen.slice(0, -2).every((e) => e.event === "stock" || e.event === "announce")).toBe(true);
    }
    // About one read per 400 ms interval while the drop sold, whatever the number of streams: the 3
    // purchase statements (they read stock_buckets too) and a watcher read at each end of every interval.
    // Counted from the first sale: the reads of the opening phase were checked above (the bound counted
    // them too, and failed when selling took under 400 ms after an opening of two reads).
    const intervals = Math.ceil((Date.now() - startedAt) / 400);
    expect(stockReads() - readsBefore).toBeLessThanOrEqual(3 + intervals + 1);
  });

  it("renders pages from the watcher's fresh read while the counter is open: no query per page view", async () => {
    const drop = await newDrop(7);
    const stream = await openStream(app, drop);
    await stream.next();
    await stream.next();
    statements = [];
    const pages = await Promise.all(Array.from({ length: 50 }, () => app.request(`/d/${drop.slug}`)));
    for (const res of pages) expect(await res.text()).toContain(liveState(7, 7));
    expect(stockReads()).toBeLessThanOrEqual(1);
    // Shop and pictures are read once for the crowd, not once per page view.
    expect(statements.length).toBeLessThanOrEqual(3);
    await stream.cancel();
  });

  it("tells a sold-out drop's late visitor at once and ends the stream", async () => {
    const drop = await newDrop(1);
    await app.shop.purchase(drop.id, { fan: "only@example.com" });
    const stream = await openStream(app, drop);
    expect(await stream.next()).toEqual({ retry: "3000" });
    expect((await stream.next())?.event).toBe("soldout");
    expect(await stream.next()).toBeUndefined();
  });

  it("announces go-live and thresholds politely, not every unit", async () => {
    const drop = await newDrop(4, new Date(Date.now() + 700));
    const stream = await openStream(app, drop);
    await stream.next();
    expect((await stream.next())?.data).toContain('data-status="upcoming"');
    expect(await stream.next()).toEqual({ event: "announce", data: "The drop is live. You can buy now." });
    expect((await stream.next())?.data).toContain('data-status="live"');
    await app.shop.purchase(drop.id, { fan: "x" });
    // 4 -> 3 crosses no threshold worth saying (a drop this small is in its last ten from the start).
    expect(await stream.next()).toEqual({ event: "stock", data: liveState(3, 4) });
    await stream.cancel();
  });

  it("sends heartbeats while nothing changes, and stops reading once the last stream goes", async () => {
    const drop = await newDrop(10);
    const watcher = createStockWatcher({ read: (ids) => repo.readStocks(db, ids), intervalMs: 20 });
    const quick = new Hono().route(
      "/d",
      fanRoutes(app.shop, { watcher, heartbeatMs: 60, reconnectMs: 1500 }),
    );
    const stream = await openStream(quick, drop);
    expect(await stream.next()).toEqual({ retry: "1500" });
    expect((await stream.next())?.event).toBe("stock");
    expect(await stream.next()).toEqual({ comment: "heartbeat" });
    expect(await stream.next()).toEqual({ comment: "heartbeat" });
    expect(watcher.watching().get(drop.id)).toBe(1);
    await stream.cancel();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(watcher.watching().size).toBe(0);
  });
});
