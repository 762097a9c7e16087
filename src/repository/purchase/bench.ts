/** Benchmark only: the plain-insert ceiling (bench/engine.ts) and the multi-round-trip baseline (bench/distance.ts). */
import type { Database } from "../../db/database";

/**
 * A scratch table for `npm run bench`, created only in the bench's own throwaway database; never part of
 * the app's schema, so it is not a migration.
 */
export async function createBenchScratchTable(db: Database): Promise<void> {
  await db.query(
    `CREATE TABLE IF NOT EXISTS bench_scratch (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       n integer NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
}

/** One plain single-row INSERT, the cheapest write the database offers: the bench's ceiling. */
export async function insertBenchScratchRow(db: Database, n: number): Promise<void> {
  await db.query("INSERT INTO bench_scratch (n) VALUES ($1::int)", [n]);
}

/** A connection held for a whole transaction: what the multi-round-trip baseline needs (a pooled client). */
export interface BenchSession {
  query<Row>(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
}

export type BaselineOutcome = { unitNo: number } | "not_live" | "limit_reached" | "sold_out";

/**
 * Benchmark only (bench/distance.ts): the common design this project replaces, kept as the baseline the
 * one-statement purchase is measured against. One stock row (bucket 0 of a one-bucket drop), and six
 * round trips — BEGIN; read the drop; count the fan's orders; UPDATE … WHERE remaining > 0; INSERT; COMMIT —
 * with the stock row locked (PostgreSQL) or in the commit-time conflict set (DSQL) from the UPDATE to the
 * COMMIT. Correct (the conditional UPDATE and the unique constraints still guard), but slow at a distance.
 * The caller owns BEGIN's connection and rolls back on error.
 */
export async function baselinePurchase(
  session: BenchSession,
  a: { dropId: string; fan: string; idempotencyKey: string; attemptNumber: number },
): Promise<BaselineOutcome> {
  await session.query("BEGIN");
  const [drop] = (
    await session.query<{ price_cents: number; max_per_fan: number; is_live: boolean }>(
      "SELECT price_cents, max_per_fan, starts_at <= now() AS is_live FROM drops WHERE id = $1::uuid",
      [a.dropId],
    )
  ).rows;
  const outcome = await (async (): Promise<BaselineOutcome> => {
    if (!drop?.is_live) return "not_live";
    const [held] = (
      await session.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM orders WHERE drop_id = $1::uuid AND fan = $2::text",
        [a.dropId, a.fan],
      )
    ).rows;
    const slot = (held?.n ?? 0) + 1;
    if (slot > drop.max_per_fan) return "limit_reached";
    const [claimed] = (
      await session.query<{ unit_no: number }>(
        `UPDATE stock_buckets SET remaining = remaining - 1
         WHERE drop_id = $1::uuid AND bucket = 0 AND remaining > 0
         RETURNING first_unit + size - 1 - remaining AS unit_no`,
        [a.dropId],
      )
    ).rows;
    if (!claimed) return "sold_out";
    await session.query(
      `INSERT INTO orders (drop_id, unit_no, fan, fan_slot, price_cents, attempts, idempotency_key)
       VALUES ($1::uuid, $2::int, $3::text, $4::int, $5::int, $6::int, $7::text)`,
      [a.dropId, claimed.unit_no, a.fan, slot, drop.price_cents, a.attemptNumber, a.idempotencyKey],
    );
    return { unitNo: claimed.unit_no };
  })();
  await session.query(typeof outcome === "object" ? "COMMIT" : "ROLLBACK");
  return outcome;
}
