import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLiveDrop, createSellerAccount } from "../src/stampede";
import { type LocalServer, startLocalServer } from "../src/stampede/local-server";
import { isAvailable } from "./support/databases";
import { describeVerdict, faultStampede, settleAndAudit } from "./support/fault-stampede";
import { openProxiedTestDatabase, type ProxiedTestDatabase } from "./support/proxied-postgres";
import { buy } from "./support/shop-fixtures";

/**
 * Ambiguous commits: the proxy forwards the purchase statement, lets PostgreSQL run (and commit) it, then cuts
 * the connection before the answer reaches the app. The app cannot know whether it bought; it must find out
 * by the idempotency key, and a retry with the same key must get the original order, never a second unit.
 * The purchase is a named prepared statement, so its name is in every Bind message the proxy sees.
 */
const PURCHASE = "purchase_batch";
const KEY_LOOKUP = "find_order_by_key";
const attempts = Number(process.env.FAULT_ATTEMPTS ?? 2000);

describe.skipIf(!isAvailable("postgres-repeatable-read"))("ambiguous commits", () => {
  let database: ProxiedTestDatabase;
  let server: LocalServer;
  let apiKey: string;
  const unexpected: unknown[] = [];
  const cutAfter = (marker: string) => database.proxy.cutAfterForwarding((chunk) => chunk.includes(marker));
  const ordersOf = async (dropId: string) =>
    (
      await database.direct.query<{ id: string }>("SELECT id FROM orders WHERE drop_id = $1::uuid", [dropId])
    ).rows.map((row) => row.id);

  beforeAll(async () => {
    database = await openProxiedTestDatabase("postgres-repeatable-read", { poolSize: 8 });
    server = await startLocalServer({ db: database.db, logError: (error) => unexpected.push(error) });
    apiKey = await createSellerAccount(server.url);
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  it("the purchase resolves a cut after its commit by the key: one 201, one row, and a retry replays it", async () => {
    const drop = await createLiveDrop(server.url, apiKey, 3);
    const cut = cutAfter(PURCHASE);
    const answer = await buy(server.app, drop.id, "ambiguous@x.io", "ambiguous-key");
    await cut;
    expect(answer.status).toBe(201);
    expect(await ordersOf(drop.id)).toEqual([answer.body.order!.id]);

    const retry = await buy(server.app, drop.id, "ambiguous@x.io", "ambiguous-key");
    expect(retry.status).toBe(200);
    expect(retry.body.order).toEqual(answer.body.order);
    expect(await ordersOf(drop.id)).toHaveLength(1);
  });

  it("when the key lookup is cut as well the fan hears busy, and the retry with the key gets the original order", async () => {
    const drop = await createLiveDrop(server.url, apiKey, 3);
    const cuts = [cutAfter(PURCHASE), cutAfter(KEY_LOOKUP)];
    const answer = await buy(server.app, drop.id, "twice-cut@x.io", "twice-cut-key");
    await Promise.all(cuts);
    expect(answer.status).toBe(503);
    expect(answer.body.error?.code).toBe("busy");
    const [committed] = await ordersOf(drop.id);
    expect(committed).toBeDefined();

    const retry = await buy(server.app, drop.id, "twice-cut@x.io", "twice-cut-key");
    expect(retry.status).toBe(200);
    expect(retry.body.order?.id).toBe(committed);
    expect(await ordersOf(drop.id)).toHaveLength(1);
  });

  it(`a ${attempts}-attempt stampede with purchases cut after commit over and over holds every invariant`, async () => {
    const drop = await createLiveDrop(server.url, apiKey, Math.round(attempts * 0.25));
    let cutting = true;
    let cutsFired = 0;
    const cutter = (async () => {
      while (cutting) {
        // The next purchase statement is cut after the server ran it (unless none comes within 500 ms).
        const fired = await Promise.race([
          cutAfter(PURCHASE).then(() => true),
          new Promise<false>((resolve) => setTimeout(() => resolve(false), 500)),
        ]);
        database.proxy.disarmCuts();
        if (fired) cutsFired++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const run = await faultStampede({ baseUrl: server.url, dropId: drop.id, attempts, concurrency: 40 });
    cutting = false;
    await cutter;

    const verdict = await settleAndAudit(run, apiKey);
    console.info(
      `${describeVerdict("ambiguous commits", verdict)}; ${cutsFired} purchase statements cut after the server ran them`,
    );
    expect(cutsFired).toBeGreaterThan(0);
    expect(verdict.breaches).toEqual([]);
    expect(verdict.oversold).toBe(0);
    expect(unexpected).toEqual([]);
  });
});
