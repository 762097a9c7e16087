import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appOptionsFrom, createApp } from "../src/app";
import { loadConfig } from "../src/config";
import type { Database } from "../src/db/database";
import { rehearsalHeaders } from "../src/domain/stress-test/rehearsal-marker";
import { createStressTests } from "../src/domain/stress-test/stress-test";
import { ClientRateLimiter } from "../src/http/purchase-rate-limit";
import { runStampede } from "../src/stampede";
import { startLocalServer } from "../src/stampede/local-server";
import { openTestDatabase } from "./support/databases";
import { createDrop, createSeller, json } from "./support/shop-fixtures";

/**
 * Outside-review finding 12: one client bought out a 200-unit drop in 0.56 s with 200 fan names. Purchases
 * are limited per client (token bucket: `burst` at once, `perSecond` after), answered 429 + Retry-After,
 * with the client taken from the socket, from X-Forwarded-For only behind TRUST_PROXY, in bounded memory;
 * the Stress Test's own traffic (carrying this process's secret) is not limited.
 */
describe("abuse: purchase flooding from one client", () => {
  let db: Database;
  let now = 1_000_000;
  const clock = () => now;
  let app: ReturnType<typeof createApp>;
  let proxied: ReturnType<typeof createApp>;
  let dropId: string;
  let slug: string;

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    const limit = { perSecond: 2, burst: 5, now: clock };
    app = createApp({ db, logError: () => undefined, purchaseRateLimit: limit });
    proxied = createApp({ db, logError: () => undefined, purchaseRateLimit: limit, trustProxy: 1 });
    const { apiKey } = await createSeller(app);
    ({ id: dropId, slug } = await createDrop(app, apiKey, { quantity: 200 }));
  });
  afterAll(async () => db?.close());

  const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } });
  const buy = (target: typeof app, address: string, headers: Record<string, string> = {}) =>
    target.request(
      `/api/drops/${dropId}/purchase`,
      json({ fan: `fan-${randomUUID()}` }, headers),
      from(address),
    );
  const orders = async () =>
    (
      await db.query<{ n: number }>("SELECT count(*)::int AS n FROM orders WHERE drop_id = $1::uuid", [
        dropId,
      ])
    ).rows[0]!.n;

  it("lets a burst through, then answers 429 with Retry-After and sells nothing more", async () => {
    const before = await orders();
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 20; i++) {
      last = await buy(app, "198.51.100.1");
      statuses.push(last.status);
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.slice(5)).toEqual(Array(15).fill(429));
    expect(last!.headers.get("retry-after")).toBe("1");
    const body = (await last!.json()) as { error: { code: string; retryAfter: number } };
    expect(body.error).toMatchObject({ code: "rate_limited", retryAfter: 1 });
    expect(await orders()).toBe(before + 5);
    // Tokens come back at perSecond.
    now += 1000;
    expect((await buy(app, "198.51.100.1")).status).toBe(201);
    expect((await buy(app, "198.51.100.1")).status).toBe(201);
    expect((await buy(app, "198.51.100.1")).status).toBe(429);
  });

  it("another client is not held back by the flood", async () => {
    expect((await buy(app, "198.51.100.2")).status).toBe(201);
  });

  it("limits the fan page's buy form too, with an HTML answer", async () => {
    const form = (address: string) =>
      app.request(
        `/d/${slug}/buy`,
        {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
          body: new URLSearchParams({ fan: `f-${randomUUID()}`, idempotencyKey: randomUUID() }).toString(),
        },
        from(address),
      );
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await form("198.51.100.3")).status);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429]);
    const res = await form("198.51.100.3");
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("retry-after")).toBe("1");
  });

  it("counts a whole IPv6 /64 as one client: rotating addresses inside it does not escape (issue 15 §2)", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await buy(app, `2001:db8:15:2::${i + 1}`)).status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    // The neighbouring /64 is another subscriber.
    expect((await buy(app, "2001:db8:15:3::1")).status).toBe(201);
  });

  it("ignores X-Forwarded-For unless TRUST_PROXY says a proxy wrote it", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await buy(app, "198.51.100.4", { "x-forwarded-for": `203.0.113.${i}` })).status);
    }
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    // Behind one trusted proxy (all requests from its address), the client is the entry it appended.
    const behind: number[] = [];
    for (let i = 0; i < 8; i++) {
      behind.push((await buy(proxied, "127.0.0.1", { "x-forwarded-for": `6.6.6.6, 203.0.113.${i}` })).status);
    }
    expect(behind).toEqual(Array(8).fill(201));
    // A client cannot escape by writing its own entries to the left of the proxy's.
    const spoofed: number[] = [];
    for (let i = 0; i < 8; i++) {
      spoofed.push(
        (await buy(proxied, "127.0.0.1", { "x-forwarded-for": `10.0.0.${i}, 203.0.113.99` })).status,
      );
    }
    expect(spoofed.filter((s) => s === 429)).toHaveLength(3);
  });

  it("does not limit the Stress Test's own traffic, and only with this process's secret", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await buy(app, "127.0.0.2", rehearsalHeaders())).status);
    expect(statuses).toEqual(Array(12).fill(201));
    const [name] = Object.keys(rehearsalHeaders());
    const forged: number[] = [];
    for (let i = 0; i < 8; i++) forged.push((await buy(app, "127.0.0.3", { [name!]: "guess" })).status);
    expect(forged.filter((s) => s === 429)).toHaveLength(3);
  });

  it("keeps at most `capacity` clients in memory", () => {
    const limiter = new ClientRateLimiter({ perSecond: 1, burst: 1, now: clock }, 1000);
    for (let i = 0; i < 20_000; i++) limiter.take(`client-${i}`);
    expect(limiter.size).toBeLessThanOrEqual(1000);
  });

  it("over a real socket: a stampede from one address is limited, the Stress Test is not", async () => {
    const server = await startLocalServer({
      db,
      logError: () => undefined,
      purchaseRateLimit: { perSecond: 1, burst: 2 },
    });
    try {
      const { apiKey } = await createSeller(server.app);
      const drop = await createDrop(server.app, apiKey, { quantity: 10 });
      const outside = await runStampede({
        baseUrl: server.url,
        dropRef: drop.id,
        attempts: 30,
        concurrency: 3,
      });
      expect(outside.counts.won).toBeLessThan(10);
      expect(outside.problems.some((problem) => problem.includes("rate_limited"))).toBe(true);

      const seller = await server.app.shop.createSeller({
        email: `st-${randomUUID()}@example.com`,
        name: "St",
        password: "a long password",
      });
      const target = await server.app.shop.createDrop(seller.seller, {
        title: "Rehearsed",
        description: "",
        priceCents: 100,
        currency: "USD",
        quantity: 10,
        maxPerFan: 1,
        startsAt: new Date(Date.now() - 60_000),
      });
      const tests = createStressTests({
        db,
        shop: server.app.shop,
        selfUrl: () => server.url,
        logError: () => undefined,
      });
      const started = await tests.start(seller.seller, target.slug, { attempts: 30, concurrency: 3 });
      const finished = await tests.live(started.id)!.finished;
      expect(finished.status).toBe("passed");
      expect(finished.receipt?.counts.won).toBe(10);
    } finally {
      await server.close();
    }
  });
});

/**
 * Issue 15 §2: the default purchase limit (10/s, burst 20 per address) turned away real fans behind a
 * carrier NAT. The defaults serve a crowd behind one address and still hold one script to a rate.
 */
describe("abuse: the default purchase limit", () => {
  let db: Database;
  afterAll(async () => db?.close());

  it("serves 600 fans at once behind one address, and holds one script to its burst and rate", async () => {
    db = await openTestDatabase("pglite");
    let now = 5_000_000;
    const defaults = appOptionsFrom(loadConfig({ DATA_DIR: "memory" })).purchaseRateLimit!;
    const app = createApp({
      db,
      logError: () => undefined,
      purchaseRateLimit: { ...defaults, now: () => now },
    });
    const { apiKey } = await createSeller(app);
    const drop = await createDrop(app, apiKey, { quantity: 5000 });
    const nat = { incoming: { socket: { remoteAddress: "100.64.0.1" } } };
    const wave = async (fans: number) => {
      const statuses: number[] = [];
      for (let start = 0; start < fans; start += 100) {
        const batch = Array.from({ length: Math.min(100, fans - start) }, () =>
          app.request(`/api/drops/${drop.id}/purchase`, json({ fan: `fan-${randomUUID()}` }), nat),
        );
        statuses.push(...(await Promise.all(batch)).map((res) => res.status));
      }
      return statuses;
    };
    // The stadium: every fan's tap lands, none is told to wait.
    const stadium = await wave(600);
    expect(stadium.filter((s) => s === 429)).toHaveLength(0);
    // A script from the same address at the same instant: the rest of the burst, then 429.
    const script = await wave(1000);
    expect(script.filter((s) => s === 201)).toHaveLength(defaults.burst - 600);
    expect(script.filter((s) => s === 429)).toHaveLength(1000 - (defaults.burst - 600));
    // ...and after that, the rate: a second buys perSecond more.
    now += 1000;
    const next = await wave(defaults.perSecond + 50);
    expect(next.filter((s) => s === 201)).toHaveLength(defaults.perSecond);
  });
});
