import type { DatabaseConfig } from "../config";
import type { Database } from "./database";
import type { FailoverOptions } from "./failover";
import { migrate } from "./migrate";

/**
 * Opens the configured backend and brings its schema up to date. Each backend's module is loaded only
 * when chosen: PGlite's WebAssembly Postgres alone adds about 40 MiB to a process that never uses it.
 */
export async function openDatabase(
  config: DatabaseConfig,
  failover: FailoverOptions = {},
): Promise<Database> {
  const db =
    config.kind === "pglite"
      ? await (await import("./pglite")).openPglite(config.dataDir, config.acquireTimeoutMs)
      : config.kind === "postgres"
        ? (await import("./postgres")).openPostgres(config)
        : (await import("./dsql")).openDsql(config, failover);
  try {
    await migrate(db);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return db;
}
