/** What operators' endpoints read: readiness and metrics. Cheap statements, safe to run every few seconds. */
import type { Database } from "../../db/database";

/** Names of the migrations this database has applied (a readiness probe: it also proves the database answers). */
export async function appliedMigrationNames(db: Database): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>("SELECT name FROM schema_migrations");
  return rows.map((row) => row.name);
}

/** Stress Tests recorded as running, by any process on this database. */
export async function countRunningStressTests(db: Database): Promise<number> {
  const { rows } = await db.query<{ running: number }>(
    "SELECT count(*)::int AS running FROM stress_tests WHERE status = 'running'",
  );
  return rows[0]?.running ?? 0;
}
