import { afterAll, describe, expect, it } from "vitest";
import { createFreshDatabase, type FreshDatabase } from "../bench/fresh-database";
import { migrate } from "../src/db/migrate";
import { openPostgres } from "../src/db/postgres";
import { ADMIN_URL, postgresAvailable } from "./support/databases";

/**
 * Several instances started at once on an empty database all run the migrations at the same moment.
 * PostgreSQL's CREATE … IF NOT EXISTS checks before it inserts the catalog row, so the losers of that race
 * used to fail with 23505 on pg_type / pg_class and the process exited (found with three processes).
 */
describe.skipIf(!postgresAvailable)("instances starting together on an empty PostgreSQL database", () => {
  const databases: FreshDatabase[] = [];
  afterAll(async () => {
    await Promise.all(databases.map((d) => d.drop()));
  });

  it("every instance's migration run succeeds and the schema is recorded once", async () => {
    for (let trial = 0; trial < 3; trial++) {
      const database = await createFreshDatabase(ADMIN_URL);
      databases.push(database);
      const instances = Array.from({ length: 4 }, () =>
        openPostgres({
          url: database.url,
          poolSize: 1,
          acquireTimeoutMs: 10_000,
          isolation: "read committed",
        }),
      );
      try {
        const results = await Promise.allSettled(instances.map((db) => migrate(db)));
        expect(results.map((r) => (r.status === "rejected" ? String(r.reason) : "ok"))).toEqual(
          instances.map(() => "ok"),
        );
        const { rows } = await instances[0]!.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM schema_migrations",
        );
        const applied = results.flatMap((r) => (r.status === "fulfilled" ? r.value : []));
        expect(new Set(applied).size).toBe(rows[0]!.n);
      } finally {
        await Promise.all(instances.map((db) => db.close()));
      }
    }
  }, 60_000);
});
