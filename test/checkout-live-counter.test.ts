import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import type { StockSnapshot } from "../src/domain/types";
import * as repo from "../src/repository";
import { createStockWatcher } from "../src/web/fan/stock-watcher";
import { openTestDatabase } from "./support/databases";
import { createSeller } from "./support/shop-fixtures";

/**
 * On a hold drop sold out is not final: the live counter keeps reading, and shows the unit that came back
 * when a hold expires (the sweep) or is released; the fan page keeps its stream open while sold out.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the live counter on a hold drop", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    app = createApp({ db, holdSweepMs: 100 });
    ({ apiKey } = await createSeller(app));
  });
  afterAll(async () => db?.close());

  it("reopens when a held unit expires, read by the watcher and swept by the periodic sweep", async () => {
    const drop = await app.shop.createDrop(await app.shop.sellerByApiKey(apiKey), {
      title: "Counter tee",
      description: "",
      priceCents: 500,
      currency: "USD",
      quantity: 1,
      maxPerFan: 1,
      holdSeconds: 1,
    });
    const reads: StockSnapshot[] = [];
    const watcher = createStockWatcher({
      read: async (ids) => {
        const snapshots = await repo.readStocks(db, ids);
        reads.push(...snapshots.values());
        return snapshots;
      },
      intervalMs: 50,
    });
    const subscription = watcher.subscribe(drop);
    expect(await subscription.next()).toMatchObject({ remaining: 1, status: "live" });

    await app.shop.purchase(drop.id, { fan: "holder@fans.test" });
    expect(await subscription.next()).toMatchObject({ remaining: 0, status: "sold_out" });
    // Nobody buys in the meantime: the app's periodic sweep returns the unit, and the watcher, still
    // reading although the drop was sold out, shows it.
    expect(await subscription.next()).toMatchObject({ remaining: 1, status: "live" });
    subscription.close();
    expect(watcher.watching().size).toBe(0);
  });

  it("on a drop of sizes, a size whose hold lapses is counted again, in the same one read", async () => {
    const drop = await app.shop.createDrop(await app.shop.sellerByApiKey(apiKey), {
      title: "Sized counter tee",
      description: "",
      priceCents: 500,
      currency: "USD",
      maxPerFan: 1,
      holdSeconds: 1,
      variants: [
        { name: "S", quantity: 1 },
        { name: "M", quantity: 2 },
      ],
    });
    const watcher = createStockWatcher({ read: (ids) => repo.readStocks(db, ids), intervalMs: 50 });
    const subscription = watcher.subscribe(drop);
    expect(await subscription.next()).toMatchObject({ remaining: 3, sizes: [1, 2] });
    await app.shop.purchase(drop.id, { fan: "small@fans.test", variant: "S" });
    expect(await subscription.next()).toMatchObject({ remaining: 2, sizes: [0, 2], status: "live" });
    // The hold lapses unpaid: S is back, and the open pages' pickers un-strike it (static/drop.js).
    expect(await subscription.next()).toMatchObject({ remaining: 3, sizes: [1, 2] });
    subscription.close();
  });

  it("the fan page of a sold-out hold drop keeps its stream; an instant one closes it", async () => {
    const seller = await app.shop.sellerByApiKey(apiKey);
    const terms = { description: "", priceCents: 500, currency: "USD", quantity: 1, maxPerFan: 1 };
    const held = await app.shop.createDrop(seller, { ...terms, title: "Held page", holdSeconds: 600 });
    const instant = await app.shop.createDrop(seller, { ...terms, title: "Instant page" });
    await app.shop.purchase(held.id, { fan: "a@fans.test" });
    await app.shop.purchase(instant.id, { fan: "a@fans.test" });
    await sleep(10);
    const heldPage = await (await app.request(`/d/${held.slug}`)).text();
    const instantPage = await (await app.request(`/d/${instant.slug}`)).text();
    expect(heldPage).toContain('data-status="sold_out"');
    expect(heldPage).toContain(`sse-connect="/d/${held.slug}/stream"`);
    expect(instantPage).toContain('data-status="sold_out"');
    expect(instantPage).not.toContain("sse-connect");
  });
});
