/** Benchmark only (bench/engine.ts): the plain-insert ceiling the purchase is compared with. */
import type { Database } from "../db/database";

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
