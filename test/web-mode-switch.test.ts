import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { TestPaymentProvider } from "../src/domain/checkout/payments";
import { openTestDatabase } from "./support/databases";
import { createDrop, createSeller, json } from "./support/shop-fixtures";
import { type SseEvent, sseReader } from "./support/sse";

/**
 * Issue 15 §6: three fan views told instant from checkout by the process's cached drop. A drop may switch
 * mode before go-live in another process; this process's cache keeps the old mode. The fan page (rendered
 * from the live counter's reading), the live counter's "sold out is final" and the receipt page now take
 * the mode from the database. The same held for the go-live time, which may also move before go-live.
 */
describe("a drop switched to checkout in another process", () => {
  let db: Database;
  /** A and C serve fans and cached the drop as instant; B is where the seller switched it. */
  let a: ReturnType<typeof createApp>;
  let b: ReturnType<typeof createApp>;
  let c: ReturnType<typeof createApp>;
  let apiKey: string;

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    const payments = new TestPaymentProvider();
    [a, b, c] = [0, 1, 2].map(() => createApp({ db, payments, logError: (e) => console.error(e) })) as [
      typeof a,
      typeof b,
      typeof c,
    ];
    ({ apiKey } = await createSeller(b));
  });
  afterAll(async () => db?.close());

  const form = (fields: Record<string, string>): RequestInit => ({
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: "http://localhost",
      "hx-request": "true",
    },
    body: new URLSearchParams(fields).toString(),
  });
  const attr = (html: string, name: string) =>
    (new RegExp(`${name}="([^"]+)"`).exec(html)?.[1] ?? "").replaceAll("&amp;", "&");

  /** Events until one whose data matches, or the end of the stream (undefined). */
  async function until(stream: ReturnType<typeof sseReader>, pattern: RegExp): Promise<SseEvent | undefined> {
    for (;;) {
      const event = await stream.next();
      if (!event || pattern.test(event.data ?? "")) return event;
    }
  }

  it("the fan page, the live counter and the receipt follow the database, not the cached drop", async () => {
    const drop = await createDrop(b, apiKey, {
      // Go-live a few seconds away: the switch is made before it, and the test waits for it.
      startsAt: new Date(Date.now() + 4_000).toISOString(),
      quantity: 1,
    });
    // A and C cache the drop as instant; A watches its counter.
    for (const app of [a, c]) {
      expect(await (await app.request(`/d/${drop.slug}`)).text()).not.toContain("/static/hold.js");
    }
    const res = await a.request(`/d/${drop.slug}/stream`);
    const stream = sseReader(res.body!);
    expect(await until(stream, /data-status="upcoming"/)).toBeDefined();

    // The seller switches it to checkout elsewhere; then go-live comes.
    const switched = await b.request(`/api/drops/${drop.id}`, {
      ...json({ holdMinutes: 10 }, { authorization: `Bearer ${apiKey}` }),
      method: "PATCH",
    });
    expect(switched.status).toBe(200);
    expect(await until(stream, /data-status="live"/)).toBeDefined();

    // 1. The fan page A renders from its counter's reading offers checkout (the hold script).
    expect(await (await a.request(`/d/${drop.slug}`)).text()).toContain("/static/hold.js");

    // A fan wins the only unit (held for payment).
    const won = await (
      await b.request(`/d/${drop.slug}/buy`, form({ fan: "switch@fans.test", idempotencyKey: randomUUID() }))
    ).text();
    expect(won).toContain('data-outcome="held"');

    // 2. On a hold drop "sold out" is not final: A's counter says so and keeps streaming.
    const soldOut = await until(stream, /data-status="sold_out"/);
    expect(soldOut?.event).toBe("stock");

    // 3. The receipt address, opened on C (whose cache nothing refreshed since), shows the held order.
    const holdUrl = attr(won, "data-reload");
    const receipt = await c.request(holdUrl);
    expect(receipt.status).toBe(200);
    expect(await receipt.text()).toContain('data-outcome="held"');

    // The fan gives the unit back: A's counter, still open, shows it in stock again.
    const released = await b.request(attr(won, "hx-post").replace("/pay?", "/release?"), form({}));
    expect(released.status).toBe(200);
    expect(await until(stream, /data-status="live"/)).toBeDefined();
    await stream.cancel();
  }, 60_000);
  it("a go-live moved earlier in another process: the counter goes live then, and so does the page", async () => {
    const drop = await createDrop(b, apiKey, {
      startsAt: new Date(Date.now() + 3_600_000).toISOString(),
      quantity: 2,
    });
    const res = await a.request(`/d/${drop.slug}/stream`);
    const stream = sseReader(res.body!);
    expect(await until(stream, /data-status="upcoming"/)).toBeDefined();
    const moved = await b.request(`/api/drops/${drop.id}`, {
      ...json(
        { startsAt: new Date(Date.now() + 2_000).toISOString() },
        { authorization: `Bearer ${apiKey}` },
      ),
      method: "PATCH",
    });
    expect(moved.status).toBe(200);
    // Before, A judged go-live by its cached drop: an hour away, so its counter never turned live.
    const live = await Promise.race([
      until(stream, /data-status="live"/),
      new Promise<"still upcoming">((resolve) => setTimeout(() => resolve("still upcoming"), 20_000)),
    ]);
    expect(live).not.toBe("still upcoming");
    expect(await (await a.request(`/d/${drop.slug}`)).text()).toContain('data-status="live"');
    await stream.cancel();
  }, 60_000);
});
