/**
 * Issue 17 §2: a draw's writes fit Aurora DSQL's limit of 3,000 changed rows per transaction, even for a
 * 10,000-unit draw, and a crash halfway leaves it to be finished the same way. Every transaction the draw
 * runs (each chunk of ranks, each chunk of offers) is measured by the database itself: before it commits,
 * `pg_stat_xact_user_tables` counts the rows it inserted, updated and deleted. The control: the largest
 * chunk is seen at no fewer rows than a chunk of ranks writes, so the counter does see the writes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database, Queryable, QueryOptions } from "../src/db/database";
import { createFairness, rankEntries, verifyDraw } from "../src/domain/fairness";
import { RANK_CHUNK } from "../src/domain/fairness/fairness";
import { HOUR_MS, isoFromNow } from "./support/clock";
import { TEST_RETRY_POLICY } from "./support/contention";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { createDrop, createSeller } from "./support/shop-fixtures";

const UNITS = 10_000;
const ENTRIES = 10_500;
/** DSQL's limit of changed rows in one transaction. */
const DSQL_ROWS_PER_TRANSACTION = 3000;

const CHANGED_ROWS = `SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::int AS n
                      FROM pg_stat_xact_user_tables`;
const WRITE = /^\s*(INSERT|UPDATE|DELETE|WITH)\b/i;

/**
 * `db`, with the rows each transaction changed recorded in `changed` (a lone write is its own transaction).
 * The view also holds counts of earlier transactions not yet flushed to the statistics (PostgreSQL flushes
 * them when a connection idles, never inside a transaction): each transaction's rows are the difference
 * between its first and its last look.
 */
function measured(db: Database, changed: number[]): Database {
  const look = async (tx: Queryable) => (await tx.query<{ n: number }>(CHANGED_ROWS)).rows[0]!.n;
  const counted = <T>(work: (tx: Queryable) => Promise<T>) =>
    db.transaction(async (tx) => {
      const before = await look(tx);
      const result = await work(tx);
      changed.push((await look(tx)) - before);
      return result;
    });
  const wrapper = {
    query: (text: string, params?: readonly unknown[], options?: QueryOptions) =>
      WRITE.test(text) ? counted((tx) => tx.query(text, params, options)) : db.query(text, params, options),
    transaction: counted,
  };
  return Object.assign(Object.create(db) as Database, wrapper);
}

describe.each(ALL_BACKENDS)("a 10,000-unit draw within DSQL's limits, on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;
  const it_ = isAvailable(backend) && backend !== "dsql" ? it : it.skip;

  beforeAll(async () => {
    if (!isAvailable(backend) || backend === "dsql") return;
    db = await openTestDatabase(backend);
    app = createApp({ db, retryPolicy: TEST_RETRY_POLICY, logError: (e) => console.error(e) });
    ({ apiKey } = await createSeller(app));
  }, 120_000);
  afterAll(async () => db?.close());

  it_(
    "every transaction changes at most 3,000 rows; a crash halfway is finished to the same ranking",
    async () => {
      const drop = await createDrop(app, apiKey, {
        title: "Ten thousand",
        quantity: UNITS,
        holdMinutes: 5,
        verifiedFans: true,
        sale: "draw",
        entriesCloseAt: isoFromNow(HOUR_MS),
      });
      // The entries, in one statement: the entry path (one per fan, Fan-Token) is proven in fairness-draw-api.
      await db.query(
        `INSERT INTO offer_queue (drop_id, kind, fan, fan_shown)
         SELECT $1::uuid, 'draw', 'fan' || g || '@fans.test', 'fan' || g || '@fans.test'
         FROM generate_series(1, $2::int) AS g`,
        [drop.id, ENTRIES],
      );
      await db.query(
        "UPDATE draws SET entries_close_at = now() - interval '1 minute' WHERE drop_id = $1::uuid",
        [drop.id],
      );

      const changed: number[] = [];
      const fairness = createFairness({ db: measured(db, changed), retryPolicy: TEST_RETRY_POLICY });
      // A crash after five chunks of ranks; the next run finishes the ranking and makes the offers.
      expect(await fairness.runDraw(drop.id, { stopAfterChunks: 5 })).toBe(false);
      const partly = await db.query<{ n: number }>(
        "SELECT count(rank)::int AS n FROM offer_queue WHERE drop_id = $1::uuid",
        [drop.id],
      );
      expect(partly.rows[0]!.n).toBe(5 * RANK_CHUNK);
      expect(await fairness.runDraw(drop.id)).toBe(true);

      // Within the limit, and the counter saw the writes (a chunk of ranks is RANK_CHUNK changed rows).
      const largest = Math.max(...changed);
      expect(largest).toBeLessThanOrEqual(DSQL_ROWS_PER_TRANSACTION);
      expect(largest).toBeGreaterThanOrEqual(RANK_CHUNK);
      expect(changed.length).toBeGreaterThan(Math.ceil(ENTRIES / RANK_CHUNK) + UNITS / 250);

      // The ranking is the formula's, whole; the top 10,000 hold one unit each, numbered 1..10,000.
      const record = await fairness.drawRecord(drop.id, UNITS);
      expect(verifyDraw(record)).toEqual([]);
      const { rows: ranked } = await db.query<{ id: string; held: boolean }>(
        `SELECT q.id, o.status = 'held' AS held FROM offer_queue q LEFT JOIN orders o ON o.id = q.order_id
         WHERE q.drop_id = $1::uuid ORDER BY q.rank`,
        [drop.id],
      );
      expect(ranked.map((r) => r.id)).toEqual(rankEntries(record.seed!, "", record.entries));
      expect(ranked.map((r) => r.held === true)).toEqual(ranked.map((_, i) => i < UNITS));
      const { rows } = await db.query<{ n: number; units: number; low: number; high: number }>(
        `SELECT count(*)::int AS n, count(DISTINCT unit_no)::int AS units, min(unit_no) AS low,
                max(unit_no) AS high
         FROM orders WHERE drop_id = $1::uuid`,
        [drop.id],
      );
      expect(rows[0]).toEqual({ n: UNITS, units: UNITS, low: 1, high: UNITS });
      console.log(
        `${backend}: ${changed.length} transactions, the largest changed ${largest} rows (limit ${DSQL_ROWS_PER_TRANSACTION})`,
      );
    },
    600_000,
  );
});
