import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { createShop } from "../src/domain/shop";
import { isAvailable } from "./support/databases";
import { openProxiedTestDatabase, type ProxiedTestDatabase } from "./support/proxied-postgres";
import { buy, hoodieDrop } from "./support/shop-fixtures";

/**
 * One statement at a time loses its connection (the proxy cuts it the moment the statement is sent), outside
 * the purchase's own retry: the drop lookup, the stock read, the sold-out replay lookup. Each is a database
 * outage in miniature and must answer `busy` (503 + Retry-After), never a 500. The stampede version of this
 * (faults-terminate.test.ts) hits the same spots only by chance.
 */
describe.skipIf(!isAvailable("postgres-read-committed"))("a lost connection outside the purchase", () => {
  let database: ProxiedTestDatabase;
  let app: ReturnType<typeof createApp>;
  const unexpected: unknown[] = [];
  /** Drops are made through a second shop on the direct connection, so the app under test has none cached. */
  let setup: ReturnType<typeof createShop>;
  let sellerId: string;

  const newDrop = async (quantity = 5) => {
    const seller = { id: sellerId, email: "", name: "Ada", createdAt: new Date() };
    return setup.createDrop(seller, hoodieDrop({ quantity }));
  };
  const cutWhenSent = (marker: string) =>
    database.proxy.cutAfterForwarding((chunk) => chunk.includes(marker));

  beforeAll(async () => {
    database = await openProxiedTestDatabase("postgres-read-committed", { poolSize: 2 });
    app = createApp({ db: database.db, logError: (error) => unexpected.push(error) });
    setup = createShop(database.direct);
    ({
      seller: { id: sellerId },
    } = await setup.createSeller({
      email: `faults-${randomUUID()}@example.com`,
      name: "Ada",
      password: "a long password",
    }));
  });
  afterAll(async () => database?.close());

  const expectBusy = async (res: Response) => {
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("busy");
  };

  it("the drop lookup by slug", async () => {
    const drop = await newDrop();
    const cut = cutWhenSent("FROM drops WHERE slug");
    await expectBusy(await app.request(`/api/drops/${drop.slug}`));
    await cut;
    expect((await app.request(`/api/drops/${drop.slug}`)).status).toBe(200);
  });

  it("the stock read", async () => {
    const drop = await newDrop();
    const cut = cutWhenSent("read_drop_with_stock");
    await expectBusy(await app.request(`/api/drops/${drop.id}`));
    await cut;
    expect((await app.request(`/api/drops/${drop.id}`)).status).toBe(200);
  });

  it("the replay lookup of a winner's key once the drop is sold out", async () => {
    const drop = await newDrop(1);
    const won = await buy(app, drop.id, "winner@x.io", "winner-key");
    expect(won.status).toBe(201);
    expect((await buy(app, drop.id, "late@x.io", randomUUID())).body.error?.code).toBe("sold_out");
    const cut = cutWhenSent("find_order_by_key");
    const lost = await buy(app, drop.id, "winner@x.io", "winner-key");
    await cut;
    expect(lost.status).toBe(503);
    expect(lost.retryAfter).toBe("1");
    const again = await buy(app, drop.id, "winner@x.io", "winner-key");
    expect(again.status).toBe(200);
    expect(again.body.order).toEqual(won.body.order);
  });

  const fanBuy = (slug: string, fields: Record<string, string>, fragment: boolean) =>
    app.request(`/d/${slug}/buy`, {
      method: "POST",
      headers: fragment ? { "HX-Request": "true" } : {},
      body: new URLSearchParams(fields),
    });

  it("the fan page's buy form gets its busy state (HTML that retries with the same key), not JSON", async () => {
    const drop = await newDrop(1);
    const winner = { fan: "page-winner@x.io", idempotencyKey: "page-winner-key" };
    expect((await fanBuy(drop.slug, winner, true)).status).toBe(201);
    expect((await fanBuy(drop.slug, { fan: "late@x.io", idempotencyKey: randomUUID() }, true)).status).toBe(
      409,
    );
    for (const fragment of [true, false]) {
      const cut = cutWhenSent("find_order_by_key");
      const res = await fanBuy(drop.slug, winner, fragment);
      await cut;
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toContain('data-outcome="busy"');
      expect(html).toContain('value="page-winner-key"');
    }
  });

  it("a fan page whose drop lookup loses its connection is an HTML busy page", async () => {
    const drop = await newDrop();
    const cut = cutWhenSent("FROM drops WHERE slug");
    const res = await app.request(`/d/${drop.slug}`);
    await cut;
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await res.text()).toContain("Busy");
  });

  it.each([
    ["cut", () => database.proxy.cutAll()],
    ["reset", () => database.proxy.resetAll()],
  ])("pooled connections %s while idle are replaced, and the process lives on", async (_name, fault) => {
    const drop = await newDrop();
    expect((await app.request(`/api/drops/${drop.id}`)).status).toBe(200);
    await expect.poll(() => database.proxy.openConnections, { timeout: 10_000 }).toBeGreaterThan(0);
    fault();
    await expect.poll(() => database.proxy.openConnections, { timeout: 10_000 }).toBe(0);
    const after = await app.request(`/api/drops/${drop.id}`);
    expect(after.status).toBe(200);
    expect((await buy(app, drop.id, "after-cut@x.io", randomUUID())).status).toBe(201);
  });

  it("logged nothing as an unexpected error", () => {
    expect(unexpected).toEqual([]);
  });
});
