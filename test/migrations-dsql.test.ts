/*
 * Aurora DSQL facts behind these rules, looked up in November 2026 (AWS user guide = docs.aws.amazon.com/aurora-dsql/latest/userguide/).
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
import { isDdl, type ParsedStatement, parseSql, statementProblems, writesData } from "./support/dsql-check";

type Tree = Record<string, unknown>;

/**
 * Checks one migration file against the rules in /work/shared/DSQL.md, on PostgreSQL's own parse tree
 * (libpg-query; see test/support/dsql-check.ts, which also checks every statement the app sends). Returns
 * every problem found, so a failing file names all of its faults at once; an empty list means DSQL takes it.
 */
async function dsqlProblems(name: string, sql: string): Promise<string[]> {
  const problems: string[] = [];
  if (!/^\d{4}_[a-z0-9_]+\.sql$/.test(name)) problems.push("file name is not NNNN_name.sql");
  const { statements, asyncIndex } = await parseSql(sql);
  if (statements.length !== 1) {
    problems.push(`holds ${statements.length} statements; DSQL allows one DDL statement per transaction`);
  }
  for (const statement of statements) {
    if (writesData(statement) || !isDdl(statement)) {
      problems.push(`data statement, not DDL: ${statement.kind}`);
      continue;
    }
    problems.push(...statementProblems(statement, asyncIndex));
    if (statement.kind === "CreateStmt") problems.push(...createTableProblems(statement.tree));
    else if (statement.kind === "IndexStmt") {
      if (!statement.tree.if_not_exists) problems.push("CREATE INDEX without IF NOT EXISTS");
    } else if (statement.kind === "AlterTableStmt") problems.push(...alterTableProblems(statement.tree));
    else if (statement.kind === "DropStmt") problems.push(...dropProblems(statement.tree));
    else
      problems.push(
        `not CREATE TABLE / CREATE [UNIQUE] INDEX ASYNC / ALTER TABLE / DROP INDEX: ${statement.kind}`,
      );
  }
  return problems;
}

const constraintsOf = (column: Tree) =>
  ((column.constraints ?? []) as { Constraint: Tree }[]).map((c) => c.Constraint);
const typeOf = (column: Tree) =>
  (((column.typeName as Tree).names ?? []) as { String: { sval: string } }[]).at(-1)?.String.sval;

function createTableProblems(table: Tree): string[] {
  const problems: string[] = [];
  if (!table.if_not_exists) problems.push("CREATE TABLE without IF NOT EXISTS");
  const elements = (table.tableElts ?? []) as Tree[];
  const columns = elements.map((e) => e.ColumnDef as Tree | undefined).filter((c) => c !== undefined);
  let primaryKey: string[] | undefined;
  for (const column of columns) {
    if (constraintsOf(column).some((c) => c.contype === "CONSTR_PRIMARY"))
      primaryKey = [String(column.colname)];
  }
  for (const element of elements) {
    const constraint = element.Constraint as Tree | undefined;
    if (constraint?.contype === "CONSTR_PRIMARY") {
      primaryKey = ((constraint.keys ?? []) as { String: { sval: string } }[]).map((k) => k.String.sval);
    }
  }
  if (!primaryKey) problems.push("table has no primary key");
  else if (primaryKey.length === 1) {
    const column = columns.find((c) => c.colname === primaryKey[0]);
    const type = column && typeOf(column);
    if (type !== "uuid") problems.push(`single-column primary key of type ${type ?? "unknown"}, not uuid`);
  }
  return problems;
}

function alterTableProblems(alter: Tree): string[] {
  const problems: string[] = [];
  for (const { AlterTableCmd: cmd } of (alter.cmds ?? []) as { AlterTableCmd: Tree }[]) {
    if (cmd.subtype === "AT_AddConstraint") {
      problems.push("ALTER TABLE ... ADD CONSTRAINT (declare constraints inside CREATE TABLE)");
    }
    if (cmd.subtype === "AT_AddColumn") {
      if (!cmd.missing_ok) problems.push("ALTER TABLE ADD COLUMN without IF NOT EXISTS");
      const column = (cmd.def as Tree).ColumnDef as Tree;
      if (constraintsOf(column).length > 0) {
        problems.push("ALTER TABLE ADD COLUMN with an inline constraint or default (DSQL rejects it)");
      }
    }
  }
  return problems;
}

/**
 * DROP INDEX IF EXISTS is the one drop a migration may hold (an index replaced by a better one, e.g. a partial
 * index): DSQL supports DROP INDEX (userguide/working-with-postgresql-compatibility-supported-sql-features.html).
 * Dropping a table or a column would lose data that a running older process still reads.
 */
function dropProblems(drop: Tree): string[] {
  const problems: string[] = [];
  if (drop.removeType !== "OBJECT_INDEX") problems.push(`DROP ${String(drop.removeType)} (only DROP INDEX)`);
  if (!drop.missing_ok) problems.push("DROP INDEX without IF EXISTS");
  if (drop.concurrent) problems.push("DROP INDEX CONCURRENTLY");
  return problems;
}

/** The index a DROP INDEX migration removes, from its parse tree. */
const droppedName = (statement: ParsedStatement | undefined): string | undefined => {
  if (statement?.kind !== "DropStmt") return undefined;
  const [object] = (statement.tree.objects ?? []) as { List: { items: { String: { sval: string } }[] } }[];
  return object?.List.items.at(-1)?.String.sval;
};

/** The table or index a migration creates, from its parse tree. */
const createdName = (statement: ParsedStatement | undefined): string | undefined =>
  statement?.kind === "CreateStmt"
    ? String((statement.tree.relation as Tree).relname)
    : statement?.kind === "IndexStmt"
      ? String(statement.tree.idxname)
      : undefined;

describe("the DSQL checker itself", () => {
  it("accepts valid DDL, ignoring keywords inside comments and strings", async () => {
    const table = `-- a note; with SERIAL and REFERENCES in a comment
      CREATE TABLE IF NOT EXISTS t (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        note text NOT NULL DEFAULT 'a; b -- not a comment, TRUNCATE',
        /* block comment: jsonb, text[] */
        CONSTRAINT t_note_key UNIQUE (note)
      );`;
    expect(await dsqlProblems("0001_t.sql", table)).toEqual([]);
    const composite =
      "CREATE TABLE IF NOT EXISTS b (d uuid NOT NULL, n integer NOT NULL, PRIMARY KEY (d, n))";
    expect(await dsqlProblems("0002_b.sql", composite)).toEqual([]);
    const index = "CREATE UNIQUE INDEX ASYNC IF NOT EXISTS t_x ON t (a, b)";
    expect(await dsqlProblems("0003_i.sql", index)).toEqual([]);
    expect(await dsqlProblems("0004_c.sql", "ALTER TABLE t ADD COLUMN IF NOT EXISTS c text")).toEqual([]);
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
    ["0001_d.sql", "DROP INDEX foo", "DROP INDEX without IF EXISTS"],
    ["0001_d.sql", "DROP TABLE IF EXISTS t", "only DROP INDEX"],
    ["0001_a.sql", "ALTER TABLE t ADD COLUMN IF NOT EXISTS c text NOT NULL DEFAULT ''", "inline constraint"],
    ["1_t.sql", "CREATE TABLE IF NOT EXISTS t (id uuid PRIMARY KEY)", "NNNN_name.sql"],
  ])("%s: %s -> reports %s", async (name, sql, expected) => {
    const problems = await dsqlProblems(name, sql);
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

  it.each(migrations.map((m) => [m.name, m.sql] as const))("%s follows the DSQL rules", async (name, sql) => {
    expect(await dsqlProblems(name, sql)).toEqual([]);
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

    // Every file created the table or index it names, and every DROP INDEX removed its index.
    const dropped = new Set<string>();
    for (const { sql } of migrations) dropped.add(droppedName((await parseSql(sql)).statements[0]) ?? "");
    for (const { name, sql } of migrations) {
      const statement = (await parseSql(sql)).statements[0];
      const created = createdName(statement);
      const gone = droppedName(statement);
      if (!created && !gone) continue;
      const found = await db.query("SELECT 1 FROM pg_class WHERE relname = $1::text", [created ?? gone]);
      if (gone) expect(found.rows, `${name} should drop ${gone}`).toHaveLength(0);
      else if (!dropped.has(created!)) expect(found.rows, `${name} should create ${created}`).toHaveLength(1);
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
