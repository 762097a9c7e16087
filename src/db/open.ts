import type { DatabaseConfig } from "../config";
import type { Database } from "./database";
import { openDsql } from "./dsql";
import { migrate } from "./migrate";
import { openPglite } from "./pglite";
import { openPostgres } from "./postgres";

/** Opens the configured backend and brings its schema up to date. */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  const db =
    config.kind === "pglite"
      ? await openPglite(config.dataDir, config.acquireTimeoutMs)
      : config.kind === "postgres"
        ? openPostgres(config)
        : openDsql(config);
  try {
    await migrate(db);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return db;
}
