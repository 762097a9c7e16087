/*
 * Aurora DSQL facts behind these rules, looked up 2026-11-26 (AWS user guide = docs.aws.amazon.com/aurora-dsql/latest/userguide/).
 * - CREATE [UNIQUE] INDEX ASYNC [IF NOT EXISTS] name ON t (col [NULLS FIRST|LAST], ...) is the only index form;
 *   plain CREATE INDEX and ASC/DESC on keys are rejected.
 *   userguide/working-with-create-index-async.html, userguide/working-with-postgresql-compatibility-unsupported-features.html
 * - CREATE TABLE [IF NOT EXISTS] is supported; ALTER TABLE ... ADD [COLUMN] [IF NOT EXISTS] name type takes no inline
 *   constraint or default. userguide/working-with-postgresql-compatibility-supported-sql-subsets.html,
 *   userguide/alter-table-syntax-support.html
 * - One DDL statement per transaction, never mixed with DML. userguide/working-with-ddl.html
 * - Conflicts are SQLSTATE 40001: "mutation conflicts with another transaction, retry as needed (OC000)" and
 *   "schema has been updated by another transaction, please retry: (OC001)". Older docs worded OC000 as "change
 *   conflicts with another transaction, please retry: (OC000)", so match on 40001 and the code, not the sentence.
 *   userguide/working-with-concurrency-control.html
 * - now() is the transaction start time in PostgreSQL (postgresql.org/docs/current/functions-datetime.html); DSQL says
 *   supported syntax behaves identically (userguide/working-with.html) and takes an explicit transaction's snapshot at
 *   BEGIN (working-with-concurrency-control.html). No DSQL page names now() itself.
 * - jsonb and arrays are query-runtime types only; json and text are column types. userguide/
 *   working-with-postgresql-compatibility-supported-data-types.html; a live check reported in awslabs/agent-plugins
 *   commit 715fa78 saw JSONB and TEXT[] columns rejected.
 * - row_to_json, unnest(array), generate_series and INSERT ... ON CONFLICT (...) DO NOTHING appear only in AWS's own
 *   DSQL guidance (github.com/awslabs/agent-plugins, plugins/databases-on-aws/skills/dsql/references/
 *   pg-migrations/function-compatibility.md and occ-retry-patterns.md), not in the user guide's SQL tables.
 * - Data-modifying CTEs (WITH x AS (UPDATE ... RETURNING ...) INSERT ... SELECT FROM x) are NOT confirmed: the user
 *   guide lists WITH only as a SELECT clause and as a clause of UPDATE. Verify on a real cluster.
 */
import { readdir } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database";
import { MIGRATIONS_DIR, migrate, readMigrations, statementFor } from "../src/db/migrate";
import { openPglite } from "../src/db/pglite";

/**
 * Checks one migration file against the rules in /work/shared/DSQL.md. Returns every problem found, so a
 * failing file names all of its faults at once; an empty list means the file is DSQL-valid as far as a
 * text check can tell.
 */
function dsqlProblems(name: string, sql: string): string[] {
  const problems: string[] = [];
  if (!/^\d{4}_[a-z0-9_]+\.sql$/.test(name)) problems.push("file name is not NNNN_name.sql");
  const statements = splitStatements(sql);
  if (statements.length !== 1) {
    problems.push(`holds ${statements.length} statements; DSQL allows one DDL statement per transaction`);
  }
  for (const statement of statements) problems.push(...statementProblems(statement));
  return problems;
}

/**
 * Blanks out what must not be read as SQL keywords: comments disappear, string literals become `''`, quoted
 * identifiers become `"q"` and dollar-quoted bodies become `$$` (kept, since they mean a function body).
 */
function stripCommentsAndLiterals(sql: string): string {
  return sql
    .replace(/\$([A-Za-z_]\w*)?\$[\s\S]*?\$\1\$/g, " $$$$ ")
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '"q"')
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/--[^\n]*/g, " ");
}

function splitStatements(sql: string): string[] {
  return stripCommentsAndLiterals(sql)
    .split(";")
    .map((part) => part.replace(/\s+/g, " ").trim())
    .filter((part) => part.length > 0);
}

const CREATE_TABLE = /^CREATE (?:(?:TEMP|TEMPORARY|UNLOGGED) )?TABLE\b/i;
const CREATE_INDEX = /^CREATE (?:UNIQUE )?INDEX\b/i;
const ALTER_TABLE = /^ALTER TABLE\b/i;

/** Features DSQL rejects (or that this project chose not to depend on), each with the reason shown on failure. */
const FORBIDDEN: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(?:SMALL|BIG)?SERIAL[248]?\b/i, "SERIAL types (use uuid DEFAULT gen_random_uuid())"],
  [/\bIDENTITY\b/i, "IDENTITY columns"],
  [/\bSEQUENCE\b|\bNEXTVAL\s*\(/i, "sequences"],
  [/\bREFERENCES\b|\bFOREIGN KEY\b/i, "foreign keys"],
  [/\bTRIGGER\b/i, "triggers"],
  [/\bFUNCTION\b|\bPROCEDURE\b|\bLANGUAGE\b|\bPLPGSQL\b|\$\$/i, "functions / PL/pgSQL"],
  [/\bEXTENSION\b/i, "extensions"],
  [/\b(?:TEMP|TEMPORARY|UNLOGGED)\b/i, "temporary or unlogged tables"],
  [/\bTRUNCATE\b/i, "TRUNCATE"],
  [/\bSAVEPOINT\b/i, "SAVEPOINT"],
  [/\bPARTITION\b|\bINHERITS\b/i, "partitions / inheritance"],
  [/\bCREATE TYPE\b/i, "CREATE TYPE (use text + CHECK)"],
  [/\b(?:LISTEN|UNLISTEN|NOTIFY)\b/i, "LISTEN/NOTIFY"],
  [/\bEXCLUDE\b/i, "exclusion constraints"],
  [/\bCOLLATE\b/i, "COLLATE (DSQL uses the C collation only)"],
  [/\bAS SELECT\b/i, "CREATE TABLE AS SELECT"],
];

/** Forbidden only where they declare a column's type; jsonb and arrays are fine inside queries. */
const FORBIDDEN_COLUMN_TYPES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bJSONB\b/i, "jsonb column type (use json or text)"],
  [/\w\s*\[\s*\d*\s*\]|\bARRAY\b(?!\s*\[)/i, "array column type"],
];

const DML = /^(?:INSERT|UPDATE|DELETE|MERGE|COPY|SELECT|WITH|VALUES)\b/i;

function statementProblems(statement: string): string[] {
  const problems: string[] = [];
  if (DML.test(statement)) return [`data statement, not DDL: "${statement.slice(0, 40)}"`];
  if (!CREATE_TABLE.test(statement) && !CREATE_INDEX.test(statement) && !ALTER_TABLE.test(statement)) {
    return [`not CREATE TABLE / CREATE [UNIQUE] INDEX ASYNC / ALTER TABLE: "${statement.slice(0, 40)}"`];
  }
  for (const [pattern, what] of FORBIDDEN) if (pattern.test(statement)) problems.push(`uses ${what}`);
  if (CREATE_TABLE.test(statement) || ALTER_TABLE.test(statement)) {
    for (const [pattern, what] of FORBIDDEN_COLUMN_TYPES)
      if (pattern.test(statement)) problems.push(`uses ${what}`);
  }
  if (CREATE_TABLE.test(statement)) problems.push(...createTableProblems(statement));
  if (CREATE_INDEX.test(statement)) problems.push(...createIndexProblems(statement));
  if (ALTER_TABLE.test(statement)) problems.push(...alterTableProblems(statement));
  return problems;
}

function createIndexProblems(statement: string): string[] {
  const problems: string[] = [];
  if (!/^CREATE (?:UNIQUE )?INDEX ASYNC\b/i.test(statement)) problems.push("CREATE INDEX without ASYNC");
  if (!/\bINDEX (?:ASYNC )?IF NOT EXISTS\b/i.test(statement))
    problems.push("CREATE INDEX without IF NOT EXISTS");
  if (/\b(?:ASC|DESC)\b/i.test(statement))
    problems.push("sort direction on an index key (DSQL rejects ASC/DESC)");
  return problems;
}

function alterTableProblems(statement: string): string[] {
  const problems: string[] = [];
  if (/\bADD (?:CONSTRAINT|PRIMARY KEY|UNIQUE|CHECK)\b/i.test(statement)) {
    problems.push("ALTER TABLE ... ADD CONSTRAINT (declare constraints inside CREATE TABLE)");
  }
  const addColumn = /\bADD (?:COLUMN )?(?!CONSTRAINT\b|PRIMARY\b|UNIQUE\b|CHECK\b|FOREIGN\b)(.*)$/i.exec(
    statement,
  );
  if (addColumn) {
    const rest = addColumn[1]!;
    if (!/^IF NOT EXISTS\b/i.test(rest)) problems.push("ALTER TABLE ADD COLUMN without IF NOT EXISTS");
    if (/\b(?:NOT NULL|DEFAULT|CHECK|UNIQUE|PRIMARY KEY)\b/i.test(rest)) {
      problems.push("ALTER TABLE ADD COLUMN with an inline constraint or default (DSQL rejects it)");
    }
  }
  return problems;
}

/** Splits `a, b (c, d), e` on the commas at parenthesis depth zero. */
function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const char = list[i];
    if (char === "(") depth++;
    else if (char === ")") depth--;
    else if (char === "," && depth === 0) {
      parts.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(list.slice(start).trim());
  return parts.filter((part) => part.length > 0);
}

const TABLE_CONSTRAINT = /^(?:CONSTRAINT \S+ )?(?:PRIMARY KEY|UNIQUE|CHECK|FOREIGN KEY|EXCLUDE)\b/i;

function createTableProblems(statement: string): string[] {
  const problems: string[] = [];
  if (!/^CREATE TABLE IF NOT EXISTS\b/i.test(statement)) problems.push("CREATE TABLE without IF NOT EXISTS");
  const open = statement.indexOf("(");
  const close = statement.lastIndexOf(")");
  if (open < 0 || close < open) return [...problems, "CREATE TABLE without a column list"];
  const elements = splitTopLevel(statement.slice(open + 1, close));
  const columnTypes = new Map<string, string>();
  let primaryKey: string[] | undefined;
  for (const element of elements) {
    const tableKey = /^(?:CONSTRAINT \S+ )?PRIMARY KEY \(([^)]*)\)/i.exec(element);
    if (tableKey) {
      primaryKey = tableKey[1]!.split(",").map((column) => column.trim().toLowerCase());
      continue;
    }
    if (TABLE_CONSTRAINT.test(element)) continue;
    const [column = "", type = ""] = element.split(" ");
    columnTypes.set(column.toLowerCase(), type.toLowerCase());
    if (/\bPRIMARY KEY\b/i.test(element)) primaryKey = [column.toLowerCase()];
  }
  if (!primaryKey) problems.push("table has no primary key");
  else if (primaryKey.length === 1) {
    const type = columnTypes.get(primaryKey[0]!);
    if (type !== "uuid") problems.push(`single-column primary key of type ${type ?? "unknown"}, not uuid`);
  }
  return problems;
}

describe("the DSQL checker itself", () => {
  it("accepts valid DDL, ignoring keywords inside comments and strings", () => {
    const table = `-- a note; with SERIAL and REFERENCES in a comment
      CREATE TABLE IF NOT EXISTS t (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        note text NOT NULL DEFAULT 'a; b -- not a comment, TRUNCATE',
        /* block comment: jsonb, text[] */
        CONSTRAINT t_note_key UNIQUE (note)
      );`;
    expect(dsqlProblems("0001_t.sql", table)).toEqual([]);
    const composite =
      "CREATE TABLE IF NOT EXISTS b (d uuid NOT NULL, n integer NOT NULL, PRIMARY KEY (d, n))";
    expect(dsqlProblems("0002_b.sql", composite)).toEqual([]);
    const index = "CREATE UNIQUE INDEX ASYNC IF NOT EXISTS t_x ON t (a, b)";
    expect(dsqlProblems("0003_i.sql", index)).toEqual([]);
    expect(dsqlProblems("0004_c.sql", "ALTER TABLE t ADD COLUMN IF NOT EXISTS c text")).toEqual([]);
  });

  it.each([
    ["0001_i.sql", "CREATE INDEX foo ON t (a)", "CREATE INDEX without ASYNC"],
    ["0001_i.sql", "CREATE INDEX ASYNC foo ON t (a)", "CREATE INDEX without IF NOT EXISTS"],
    ["0001_i.sql", "CREATE INDEX ASYNC IF NOT EXISTS foo ON t (a DESC)", "sort direction"],
    ["0001_t.sql", "CREATE TABLE t (id serial primary key)", "SERIAL"],
    ["0001_t.sql", "CREATE TABLE t (id serial primary key)", "without IF NOT EXISTS"],
    ["0001_t.sql", "CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY)", "not uuid"],
    ["0001_t.sql", "CREATE TABLE IF NOT EXISTS t (id bigint GENERATED ALWAYS AS IDENTITY)", "IDENTITY"],
    ["0001_t.sql", "CREATE TABLE IF NOT EXISTS t (a text)", "no primary key"],
    ["0001_t.sql", "CREATE TABLE IF NOT EXISTS t (id uuid PRIMARY KEY, tags text[])", "array column"],
    ["0001_t.sql", "CREATE TABLE IF NOT EXISTS t (id uuid PRIMARY KEY, n int ARRAY)", "array column"],
    ["0001_t.sql", "CREATE TABLE IF NOT EXISTS t (id uuid PRIMARY KEY, doc jsonb)", "jsonb"],
    [
      "0001_t.sql",
      "CREATE TABLE IF NOT EXISTS t (id uuid PRIMARY KEY, d uuid REFERENCES drops (id))",
      "foreign",
    ],
    ["0001_t.sql", "CREATE TEMPORARY TABLE IF NOT EXISTS t (id uuid PRIMARY KEY)", "temporary"],
    ["0001_t.sql", "CREATE TABLE IF NOT EXISTS t (id uuid PRIMARY KEY) PARTITION BY HASH (id)", "partitions"],
    [
      "0001_t.sql",
      "CREATE TABLE t (id uuid PRIMARY KEY);\nCREATE TABLE u (id uuid PRIMARY KEY);",
      "2 statements",
    ],
    [
      "0001_t.sql",
      "CREATE TABLE IF NOT EXISTS t (id uuid PRIMARY KEY);\nINSERT INTO t VALUES ('x');",
      "data",
    ],
    ["0001_s.sql", "INSERT INTO t (id) VALUES (gen_random_uuid())", "data statement"],
    ["0001_s.sql", "TRUNCATE t", "not CREATE TABLE"],
    ["0001_f.sql", "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql", "not CREATE TABLE"],
    ["0001_s.sql", "CREATE SEQUENCE s", "not CREATE TABLE"],
    ["0001_s.sql", "CREATE EXTENSION IF NOT EXISTS pgcrypto", "not CREATE TABLE"],
    ["0001_s.sql", "CREATE TYPE mood AS ENUM ('a', 'b')", "not CREATE TABLE"],
    ["0001_a.sql", "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a)", "ADD CONSTRAINT"],
    ["0001_a.sql", "ALTER TABLE t ADD COLUMN c text", "ADD COLUMN without IF NOT EXISTS"],
    ["0001_a.sql", "ALTER TABLE t ADD COLUMN IF NOT EXISTS c text NOT NULL DEFAULT ''", "inline constraint"],
    ["1_t.sql", "CREATE TABLE IF NOT EXISTS t (id uuid PRIMARY KEY)", "NNNN_name.sql"],
  ])("%s: %s -> reports %s", (name, sql, expected) => {
    const problems = dsqlProblems(name, sql);
    expect(problems.join("\n")).toContain(expected);
  });
});

describe("every migration in sql/", async () => {
  const migrations = await readMigrations();
  const allSqlFiles = (await readdir(MIGRATIONS_DIR)).filter((name) => name.endsWith(".sql")).sort();

  it("is picked up by the runner (a misnamed file would silently never run)", () => {
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations.map((m) => m.name)).toEqual(allSqlFiles);
  });

  it("is numbered in strictly increasing order, without duplicates", () => {
    const numbers = migrations.map((m) => Number(m.name.slice(0, 4)));
    for (let i = 1; i < numbers.length; i++) {
      expect(numbers[i], `${migrations[i]!.name} after ${migrations[i - 1]!.name}`).toBeGreaterThan(
        numbers[i - 1]!,
      );
    }
  });

  it.each(migrations.map((m) => [m.name, m.sql] as const))("%s follows the DSQL rules", (name, sql) => {
    expect(dsqlProblems(name, sql)).toEqual([]);
  });
});

describe("statementFor", () => {
  const sql = "CREATE UNIQUE INDEX ASYNC IF NOT EXISTS orders_x ON orders (drop_id, fan)";

  it("keeps ASYNC for DSQL", () => {
    expect(statementFor("dsql", sql)).toBe(sql);
  });

  it("drops ASYNC for PostgreSQL and PGlite, which do not know it", () => {
    const plain = "CREATE UNIQUE INDEX IF NOT EXISTS orders_x ON orders (drop_id, fan)";
    expect(statementFor("postgres", sql)).toBe(plain);
    expect(statementFor("pglite", sql)).toBe(plain);
    // The keyword's case may change; what matters is that ASYNC is gone and nothing else moved.
    expect(statementFor("postgres", "create index async if not exists a on t (b)").toLowerCase()).toBe(
      "create index if not exists a on t (b)",
    );
  });

  it("leaves statements without an async index alone", () => {
    const table = "CREATE TABLE IF NOT EXISTS async_jobs (id uuid PRIMARY KEY)";
    expect(statementFor("postgres", table)).toBe(table);
  });
});

describe("migrate on a fresh PGlite", () => {
  let db: Database | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it("applies every file once, records it, and does nothing on a second run", async () => {
    db = await openPglite("memory");
    const migrations = await readMigrations();
    const names = migrations.map((m) => m.name);

    expect(await migrate(db)).toEqual(names);
    const recorded = await db.query<{ name: string }>("SELECT name FROM schema_migrations ORDER BY name");
    expect(recorded.rows.map((row) => row.name)).toEqual(names);

    // Every file created the table or index it names.
    for (const { name, sql } of migrations) {
      const created = /\b(?:TABLE|INDEX)(?: ASYNC)? IF NOT EXISTS\s+(\w+)/i.exec(
        stripCommentsAndLiterals(sql),
      );
      if (!created) continue;
      const found = await db.query("SELECT 1 FROM pg_class WHERE relname = $1::text", [created[1]]);
      expect(found.rows, `${name} should create ${created[1]}`).toHaveLength(1);
    }

    expect(await migrate(db)).toEqual([]);
    const again = await db.query<{ count: number }>("SELECT count(*)::int AS count FROM schema_migrations");
    expect(again.rows[0]?.count).toBe(names.length);
  });

  it("retries a statement that meets DSQL's stale-schema conflict (OC001) instead of failing start-up", async () => {
    const real = await openPglite("memory");
    db = real;
    let conflicts = 0;
    const flaky: Database = {
      ...real,
      query: (async (sql: string, params?: readonly unknown[]) => {
        // The first statement after each DDL meets a stale schema once, as on DSQL.
        if (/^\s*INSERT INTO schema_migrations/.test(sql) && conflicts < 3) {
          conflicts++;
          throw Object.assign(
            new Error("schema has been updated by another transaction, please retry: (OC001)"),
            {
              code: "40001",
            },
          );
        }
        return real.query(sql, params);
      }) as Database["query"],
    };
    const migrations = await readMigrations();
    expect(await migrate(flaky, migrations)).toEqual(migrations.map((m) => m.name));
    expect(conflicts).toBe(3);
  });

  it("applies only what is not yet recorded", async () => {
    db = await openPglite("memory");
    const migrations = await readMigrations();
    expect(await migrate(db, migrations.slice(0, 2))).toEqual(migrations.slice(0, 2).map((m) => m.name));
    expect(await migrate(db, migrations)).toEqual(migrations.slice(2).map((m) => m.name));
  });
});
