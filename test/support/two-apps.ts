/**
 * Two apps (two "processes") selling from one database, for proofs that race them: on PGlite both share the
 * one embedded database; on PostgreSQL each has its own pool on a scratch database at the backend's isolation.
 */
import { createApp } from "../../src/app";
import type { Database } from "../../src/db/database";
import { migrate } from "../../src/db/migrate";
import { openPostgres } from "../../src/db/postgres";
import { TestPaymentProvider } from "../../src/domain/checkout/payments";
import { TEST_RETRY_POLICY } from "./contention";
import { createScratchPostgres, openTestDatabase, type TestBackend } from "./databases";
import { createSeller } from "./shop-fixtures";

export interface TwoApps {
  db: Database;
  app: ReturnType<typeof createApp>;
  otherApp: ReturnType<typeof createApp>;
  apiKey: string;
  /** The scratch PostgreSQL database's URL (for child processes); undefined on PGlite. */
  url: string | undefined;
  close(): Promise<void>;
}

export async function openTwoApps(backend: TestBackend): Promise<TwoApps> {
  let db: Database;
  let second: Database;
  let url: string | undefined;
  let dropScratch: (() => Promise<void>) | undefined;
  if (backend === "pglite") {
    db = await openTestDatabase(backend);
    second = db;
  } else {
    const scratch = await createScratchPostgres();
    url = scratch.url;
    dropScratch = scratch.drop;
    const isolation = backend === "postgres-repeatable-read" ? "repeatable read" : "read committed";
    db = openPostgres({ url, isolation, poolSize: 8, acquireTimeoutMs: 30_000 });
    await migrate(db);
    second = openPostgres({ url, isolation, poolSize: 4, acquireTimeoutMs: 30_000 });
  }
  const deps = {
    payments: new TestPaymentProvider(),
    retryPolicy: TEST_RETRY_POLICY,
    logError: (e: unknown) => console.error(e),
  };
  const app = createApp({ db, ...deps });
  const otherApp = createApp({ db: second, ...deps });
  const { apiKey } = await createSeller(app);
  return {
    db,
    app,
    otherApp,
    apiKey,
    url,
    async close() {
      if (second !== db) await second.close();
      await db.close();
      await dropScratch?.();
    },
  };
}
