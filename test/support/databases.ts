import { createHash, randomBytes } from "node:crypto";
import { readFile, rename, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { Database } from "../../src/db/database";
import { openDsql } from "../../src/db/dsql";
import { migrate, readMigrations } from "../../src/db/migrate";
import { dumpPglite, openPglite } from "../../src/db/pglite";
import { openPostgres } from "../../src/db/postgres";

/**
 * Test databases: each test file gets its own fresh database on every backend it runs on.
 * PostgreSQL runs twice: at READ COMMITTED, and at REPEATABLE READ as the stand-in for Aurora DSQL's
 * snapshot isolation. Where PostgreSQL is missing, local runs skip those suites with a warning; CI (or
 * REQUIRE_POSTGRES=1) fails instead, so a missing database can never pass as green.
 */
export type TestBackend = "pglite" | "postgres-read-committed" | "postgres-repeatable-read" | "dsql";

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
/**
 * TEST_BACKENDS=pglite runs the embedded database alone: `npm run test:calendar` moves the process's clock a
 * year ahead, which moves PGlite's `now()` with it but not a PostgreSQL server's.
 */
const pgliteOnly = process.env.TEST_BACKENDS === "pglite";
const postgresRequired = !pgliteOnly && Boolean(process.env.CI || process.env.REQUIRE_POSTGRES);

async function probePostgres(): Promise<boolean> {
  if (pgliteOnly) return false;
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch (error) {
    if (postgresRequired) {
      throw new Error(
        `PostgreSQL is required (CI/REQUIRE_POSTGRES) but ${ADMIN_URL} is unreachable: ${error}`,
      );
    }
    console.warn(`PostgreSQL at ${ADMIN_URL} unreachable: skipping PostgreSQL suites (${error})`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const postgresAvailable = await probePostgres();

/**
 * A real Aurora DSQL cluster joins the suites when TEST_DSQL_ENDPOINT (and AWS_REGION plus credentials) are
 * set. DSQL has a single database, so suites share it; every test makes its own seller and drops.
 */
const dsqlEndpoint = process.env.TEST_DSQL_ENDPOINT;

export const ALL_BACKENDS: TestBackend[] = [
  "pglite",
  ...(pgliteOnly ? [] : (["postgres-read-committed", "postgres-repeatable-read"] as const)),
  ...(dsqlEndpoint ? (["dsql"] as const) : []),
];

export const isAvailable = (backend: TestBackend): boolean =>
  backend === "pglite" || backend === "dsql" || postgresAvailable;

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** An empty PostgreSQL database next to the admin one (for tests that need its URL); `drop` removes it. */
export async function createScratchPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `dropfront_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * Every test file starts from a migrated database, and making one from nothing is most of a file's setup:
 * PGlite's initdb in WebAssembly took 4 to 14 s a database here (load 1 to 11), PostgreSQL's 77 migrations
 * about 1.2 s. So the migrated schema is made once and copied: PGlite loads a dump of it (1.5 to 3 s),
 * PostgreSQL copies a template database. Both are keyed by the schema (every file under sql/) and the
 * PGlite build, so a changed migration makes a new one; `migrate` still runs on each copy (a no-op then).
 */
const schemaKey = (async () => {
  const hash = createHash("sha256").update(JSON.stringify(await readMigrations()));
  const engine = path.join(
    path.dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite")),
    "pglite.wasm",
  );
  const { size, mtimeMs } = await stat(engine);
  return hash.update(`${size}:${mtimeMs}`).digest("hex").slice(0, 16);
})();

/** The migrated PGlite dump, from the OS temp folder (whichever file made it first wrote it there). */
async function migratedPgliteDump(): Promise<Blob> {
  const file = path.join(tmpdir(), `dropfront-test-pglite-${await schemaKey}.tar`);
  const kept = await readFile(file).catch(() => undefined);
  if (kept) return new Blob([kept]);
  const db = await openPglite("memory", 60_000);
  await migrate(db);
  const dump = await dumpPglite(db);
  await db.close();
  // Written aside and renamed: a file reading it never sees half a dump, two writers at once are harmless.
  const aside = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await writeFile(aside, Buffer.from(await dump.arrayBuffer()));
  await rename(aside, file);
  return dump;
}

/**
 * The migrated PostgreSQL template database, made once per schema: under an advisory lock (test workers and
 * runs start together), migrated under another name and renamed, so a template is never half made.
 */
let templateName: Promise<string> | undefined;
function migratedTemplate(): Promise<string> {
  templateName ??= (async () => {
    const name = `dropfront_template_${await schemaKey}`;
    const client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    try {
      await client.query("SELECT pg_advisory_lock(hashtext('dropfront_test_template'))");
      const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
      if (found.rowCount === 0) {
        const making = `${name}_making`;
        await client.query(`DROP DATABASE IF EXISTS ${making} WITH (FORCE)`);
        await client.query(`CREATE DATABASE ${making}`);
        const url = new URL(ADMIN_URL);
        url.pathname = `/${making}`;
        const db = openPostgres({
          url: url.toString(),
          poolSize: 1,
          acquireTimeoutMs: 30_000,
          isolation: "read committed",
        });
        await migrate(db).finally(() => db.close());
        await client.query(`ALTER DATABASE ${making} RENAME TO ${name}`);
      }
      return name;
    } finally {
      await client.end();
    }
  })();
  templateName.catch(() => {
    templateName = undefined;
  });
  return templateName;
}

/** A fresh, migrated database on `backend`; closing it drops it. */
export async function openTestDatabase(
  backend: TestBackend,
  options: {
    poolSize?: number;
    acquireTimeoutMs?: number;
    /** Rewrites the PostgreSQL URL the app connects through (e.g. a test's TCP proxy's `urlFor`). */
    urlFor?: (url: string) => string;
  } = {},
): Promise<Database> {
  if (backend === "pglite") {
    const db = await openPglite("memory", options.acquireTimeoutMs ?? 60_000, {
      loadDataDir: await migratedPgliteDump(),
    });
    await migrate(db);
    return db;
  }
  if (backend === "dsql") {
    const db = openDsql({
      endpoint: dsqlEndpoint!,
      region: process.env.AWS_REGION ?? "",
      user: process.env.TEST_DSQL_USER ?? "admin",
      poolSize: options.poolSize ?? 8,
      acquireTimeoutMs: options.acquireTimeoutMs ?? 30_000,
    });
    await migrate(db);
    return db;
  }
  const name = `dropfront_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${await migratedTemplate()}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = openPostgres({
    url: options.urlFor ? options.urlFor(url.toString()) : url.toString(),
    poolSize: options.poolSize ?? 8,
    acquireTimeoutMs: options.acquireTimeoutMs ?? 30_000,
    isolation: backend === "postgres-repeatable-read" ? "repeatable read" : "read committed",
  });
  await migrate(db);
  return {
    backend: db.backend,
    isolation: db.isolation,
    query: db.query,
    transaction: db.transaction,
    stats: db.stats,
    async close() {
      await db.close();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
