import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type RetryPolicy, TryAgain, withRetry } from "../domain/purchase/retry";
import { type Database, sqlState } from "./database";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../sql/", import.meta.url));

export interface Migration {
  name: string;
  sql: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name)).sort();
  return Promise.all(
    names.map(async (name) => ({ name, sql: await readFile(path.join(dir, name), "utf8") })),
  );
}

/**
 * Files are written for Aurora DSQL, which builds secondary indexes with `CREATE INDEX ASYNC`.
 * PostgreSQL and PGlite do not know `ASYNC`; for them the keyword is dropped and the index builds at once.
 */
export function statementFor(backend: Database["backend"], sql: string): string {
  return backend === "dsql" ? sql : sql.replace(/\bINDEX\s+ASYNC\b/gi, "INDEX");
}

/**
 * Applies every migration not yet recorded. Each file holds one DDL statement, run as its own autocommit
 * transaction; the record is written by a second statement because DSQL forbids mixing DDL with data.
 * Statements use IF NOT EXISTS, so a crash between the two (or two processes starting at once) is harmless.
 * Every statement is retried on 40001: right after DDL, DSQL answers a connection whose cached schema is
 * stale with OC001 ("schema has been updated by another transaction, please retry").
 */
export async function migrate(db: Database, migrations?: Migration[]): Promise<string[]> {
  const run = <Row>(sql: string, params: unknown[] = []) =>
    withRetry(MIGRATION_RETRY, () => db.query<Row>(sql, params).catch(createdConcurrently));
  await run(
    "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
  );
  const { rows } = await run<{ name: string }>("SELECT name FROM schema_migrations");
  const applied = new Set(rows.map((row) => row.name));
  const pending = (migrations ?? (await readMigrations())).filter((m) => !applied.has(m.name));
  for (const migration of pending) {
    await run(statementFor(db.backend, migration.sql));
    await run("INSERT INTO schema_migrations (name) VALUES ($1::text) ON CONFLICT (name) DO NOTHING", [
      migration.name,
    ]);
  }
  return pending.map((m) => m.name);
}

/**
 * Several instances starting together on an empty PostgreSQL database run the same DDL at once. IF NOT
 * EXISTS is checked before the catalog row is inserted, so the losers fail with 23505 on a catalog index
 * (pg_type, pg_class), 42P07 duplicate_table or 42710 duplicate_object ("type … already exists") (https://www.postgresql.org/message-id/CAKU4AWpGFMgp3zF-8TUkpydPZ5kJcY-yWcdN92mwRnSbJW2zhQ%40mail.gmail.com).
 * Run again, the statement sees the winner's object and does nothing.
 */
function createdConcurrently(error: unknown): never {
  const state = sqlState(error);
  if (
    state === "42P07" ||
    state === "42710" ||
    (state === "23505" && /"pg_\w+"/.test(String((error as Error).message)))
  ) {
    throw new TryAgain("created by another instance at the same time");
  }
  throw error;
}

/** Start-up can afford to wait: a schema change settles within seconds. */
const MIGRATION_RETRY: RetryPolicy = {
  maxAttempts: 20,
  deadlineMs: 60_000,
  baseDelayMs: 50,
  maxDelayMs: 2000,
};
