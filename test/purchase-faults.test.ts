import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { ConnectionUnavailable, type Database } from "../src/db/database";
import { migrate } from "../src/db/migrate";
import { openPglite } from "../src/db/pglite";
import { audit, buy, createDrop, createSeller } from "./support/shop-fixtures";

/**
 * Faults injected between the app and a real (embedded) database: lost connections around the commit,
 * endless conflicts, an exhausted pool. The purchase statement is recognised by its text.
 */
const isPurchase = (sql: string) => sql.includes("claimed AS");

type Fault = (sql: string, run: () => Promise<{ rows: unknown[] }>) => Promise<{ rows: unknown[] }>;

function withFaults(db: Database) {
  let fault: Fault | undefined;
  const counts = { statements: 0, purchases: 0 };
  const wrapped: Database = {
    backend: db.backend,
    isolation: db.isolation,
    close: () => db.close(),
    transaction: (work) => db.transaction(work),
    query: (async (sql: string, params?: readonly unknown[]) => {
      counts.statements++;
      if (isPurchase(sql)) counts.purchases++;
      const run = () => db.query(sql, params);
      return fault ? fault(sql, run) : run();
    }) as Database["query"],
  };
  return {
    db: wrapped,
    counts,
    inject(next: Fault | undefined) {
      fault = next;
    },
  };
}

const connectionReset = () => Object.assign(new Error("Connection terminated unexpectedly"), {});
const conflict = () =>
  Object.assign(new Error("change conflicts with another transaction (OC000)"), { code: "40001" });

describe("purchase under faults (PGlite)", () => {
  let base: Database;
  let faults: ReturnType<typeof withFaults>;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;

  beforeAll(async () => {
    base = await openPglite("memory");
    await migrate(base);
    faults = withFaults(base);
    app = createApp({
      db: faults.db,
      retryPolicy: { maxAttempts: 6, deadlineMs: 2000, baseDelayMs: 1, maxDelayMs: 5 },
      logError: () => undefined,
    });
    ({ apiKey } = await createSeller(app));
  });
  afterAll(async () => base?.close());

  it("connection lost after the commit: the order is found by its key and acknowledged once", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 5 });
    faults.inject(async (sql, run) => {
      if (!isPurchase(sql)) return run();
      faults.inject(undefined);
      await run(); // the statement commits...
      throw connectionReset(); // ...but the answer never arrives
    });
    const key = randomUUID();
    const answer = await buy(app, drop.id, "lucky@x.io", key);
    expect(answer.status).toBe(201);
    const { rows } = await base.query<{ id: string; unit_no: number }>(
      "SELECT id, unit_no FROM orders WHERE drop_id = $1::uuid",
      [drop.id],
    );
    expect(rows).toEqual([{ id: answer.body.order!.id, unit_no: answer.body.order!.unitNo }]);
    expect((await audit(app, drop.id, apiKey)).body).toMatchObject({ sold: 1, remaining: 4 });
  });

  it("connection lost after the commit and the key lookup too early to see it: the retry still answers 201", async () => {
    // Found by faults-ambiguous-commit in CI: the lookup ran before the cut statement's commit was visible,
    // the retry found the order by its key, and the buyer, on the first request, heard 200 ("already yours").
    const drop = await createDrop(app, apiKey, { quantity: 5 });
    let lookups = 0;
    faults.inject(async (sql, run) => {
      if (sql.includes("idempotency_key = $2::text") && lookups++ === 0) return { rows: [] };
      if (!isPurchase(sql)) return run();
      if (lookups === 0) {
        await run(); // the statement commits...
        throw connectionReset(); // ...but the answer never arrives
      }
      return run();
    });
    const answer = await buy(app, drop.id, "early@x.io", randomUUID());
    faults.inject(undefined);
    expect(lookups).toBe(1);
    expect(answer.status).toBe(201);
    expect((await audit(app, drop.id, apiKey)).body).toMatchObject({ sold: 1, remaining: 4 });
  });

  it("connection lost before the commit: nothing was written, the purchase is retried and wins", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 5 });
    faults.inject(async (sql, run) => {
      if (!isPurchase(sql)) return run();
      faults.inject(undefined);
      throw connectionReset();
    });
    const answer = await buy(app, drop.id, "second@x.io", randomUUID());
    expect(answer.status).toBe(201);
    expect((await audit(app, drop.id, apiKey)).body).toMatchObject({ sold: 1, remaining: 4 });
  });

  /** An app on the same faulty database whose buyers go in batches: one statement in flight per drop. */
  const batchingApp = () =>
    createApp({
      db: faults.db,
      retryPolicy: { maxAttempts: 6, deadlineMs: 2000, baseDelayMs: 1, maxDelayMs: 5 },
      engine: { batchMax: 64, batchesInFlight: 1 },
      logError: () => undefined,
    });

  /** Fails the second purchase statement (the first batch of many): after it ran, or instead of it. */
  const loseSecondBatch = (afterCommit: boolean) => {
    let purchases = 0;
    faults.inject(async (sql, run) => {
      if (!isPurchase(sql) || ++purchases !== 2) return run();
      faults.inject(undefined);
      if (afterCommit) await run();
      throw connectionReset();
    });
  };

  it.each([
    ["after", true],
    ["before", false],
  ])(
    "connection lost %s a batch committed: every member resolves by its key, once",
    async (_, afterCommit) => {
      const shop = batchingApp();
      const drop = await createDrop(shop, apiKey, { quantity: 30 });
      loseSecondBatch(afterCommit);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => buy(shop, drop.id, `batch-${i}@x.io`, `batch-key-${i}`)),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(201));
      const { rows } = await base.query<{ idempotency_key: string; id: string }>(
        "SELECT idempotency_key, id FROM orders WHERE drop_id = $1::uuid ORDER BY unit_no",
        [drop.id],
      );
      const byKey = new Map(rows.map((row) => [row.idempotency_key, row.id]));
      expect(rows).toHaveLength(10);
      expect(answers.map((a) => a.body.order!.id)).toEqual(
        answers.map((_, i) => byKey.get(`batch-key-${i}`)),
      );
      expect(shop.shop.batcher.sent.members).toBeGreaterThan(shop.shop.batcher.sent.statements);
    },
  );

  it("conflicts that outlast the retry budget answer busy with Retry-After, never sold out", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 5 });
    faults.inject(async (sql, run) => (isPurchase(sql) ? Promise.reject(conflict()) : run()));
    const before = faults.counts.purchases;
    const answer = await buy(app, drop.id, "patient@x.io");
    faults.inject(undefined);
    expect(answer.status).toBe(503);
    expect(answer.body.error!.code).toBe("busy");
    expect(answer.retryAfter).toBe("1");
    expect(faults.counts.purchases - before).toBe(6);
    expect((await audit(app, drop.id, apiKey)).body).toMatchObject({ sold: 0, remaining: 5 });
    expect((await buy(app, drop.id, "patient@x.io")).status).toBe(201);
  });

  it("no free connection in time answers busy", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 5 });
    faults.inject(async (sql, run) =>
      isPurchase(sql) ? Promise.reject(new ConnectionUnavailable()) : run(),
    );
    const answer = await buy(app, drop.id, "queued@x.io");
    faults.inject(undefined);
    expect(answer.status).toBe(503);
    expect(answer.body.error!.code).toBe("busy");
  });

  it("a write conflict while creating a drop or a seller is retried, not reported", async () => {
    const conflicting = (pattern: RegExp): Fault => {
      let thrown = false;
      return async (sql, run) => {
        if (!thrown && pattern.test(sql)) {
          thrown = true;
          throw Object.assign(new Error("schema has been updated by another transaction (OC001)"), {
            code: "40001",
          });
        }
        return run();
      };
    };
    faults.inject(conflicting(/INSERT INTO drops/));
    const drop = await createDrop(app, apiKey, { quantity: 3 });
    faults.inject(conflicting(/INSERT INTO sellers/));
    const other = await createSeller(app);
    faults.inject(undefined);
    expect(drop.quantity).toBe(3);
    expect(other.apiKey).toMatch(/^dfl_/);
  });

  it("once the database has shown sold out, later rejections cost no purchase transaction", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 2 });
    const winner = await buy(app, drop.id, "w1@x.io", "winner-key");
    await buy(app, drop.id, "w2@x.io", "other-winner-key");
    expect((await buy(app, drop.id, "loser@x.io")).body.error!.code).toBe("sold_out");

    const before = { ...faults.counts };
    for (let i = 0; i < 50; i++) expect((await buy(app, drop.id, `late-${i}@x.io`)).status).toBe(409);
    expect(faults.counts.statements - before.statements).toBe(0);

    // The first buyer with a key of their own starts loading the winners' keys (and is looked up while
    // they load); once loaded, strangers' keys cost nothing and only a winner's retry reads its order.
    expect((await buy(app, drop.id, "first-keyed@x.io", randomUUID())).status).toBe(409);
    await expect
      .poll(() => app.shop.cache.winners(drop.id, () => Promise.reject(new Error("reload"))))
      .toBeDefined();
    const loaded = { ...faults.counts };
    for (let i = 0; i < 20; i++)
      expect((await buy(app, drop.id, `keyed-${i}@x.io`, randomUUID())).status).toBe(409);
    expect(faults.counts.statements - loaded.statements).toBe(0);

    const retry = await buy(app, drop.id, "w1@x.io", "winner-key");
    expect(retry.status).toBe(200);
    expect(retry.body.order).toEqual(winner.body.order);
    expect(faults.counts.statements - loaded.statements).toBe(1);
    expect(faults.counts.purchases - before.purchases).toBe(0);
  });
});
