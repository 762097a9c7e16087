/**
 * Moving a whole shop between databases (`npm run db:export`, `npm run db:backup`): the tables are read
 * from the catalogue rather than listed here, so a table added by a later migration moves too.
 * Table and column names cannot be bound as parameters; every one used below comes from the source's own
 * catalogue and is quoted, and values always travel as parameters.
 */
import type { Database } from "../../db/database";

export interface TableShape {
  name: string;
  columns: { name: string; type: string }[];
  primaryKey: string[];
}

/** The column types a copy can carry through JSON and back with a plain cast. */
const CASTABLE =
  /^(uuid|text|varchar|bpchar|int2|int4|int8|numeric|float4|float8|bool|timestamptz|timestamp|date|bytea|json)$/;

const quoted = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/** The app's tables (everything in `public` but the migrations' own record), with columns and primary keys. */
export async function describeTables(db: Database): Promise<TableShape[]> {
  const { rows: columns } = await db.query<{ table_name: string; column_name: string; udt_name: string }>(
    `SELECT c.table_name, c.column_name, c.udt_name
     FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name <> 'schema_migrations'
     ORDER BY c.table_name, c.ordinal_position`,
  );
  const { rows: keys } = await db.query<{ table_name: string; column_name: string }>(
    `SELECT k.table_name, k.column_name
     FROM information_schema.table_constraints tc
     JOIN information_schema.key_column_usage k
       ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema AND k.table_name = tc.table_name
     WHERE tc.table_schema = 'public' AND tc.constraint_type = 'PRIMARY KEY'
     ORDER BY k.table_name, k.ordinal_position`,
  );
  const tables = new Map<string, TableShape>();
  for (const c of columns) {
    if (!CASTABLE.test(c.udt_name)) {
      throw new Error(
        `column ${c.table_name}.${c.column_name} has type ${c.udt_name}, which the copy cannot carry`,
      );
    }
    const table = tables.get(c.table_name) ?? { name: c.table_name, columns: [], primaryKey: [] };
    table.columns.push({ name: c.column_name, type: c.udt_name });
    tables.set(c.table_name, table);
  }
  for (const k of keys) tables.get(k.table_name)?.primaryKey.push(k.column_name);
  for (const table of tables.values()) {
    if (table.primaryKey.length === 0) throw new Error(`table ${table.name} has no primary key to page by`);
  }
  return [...tables.values()];
}

export async function countRows(db: Database, table: TableShape): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoted(table.name)}`);
  return rows[0]!.n;
}

/**
 * One page of a table in primary-key order, after the row whose key is `after` (keyset paging: a
 * million-order table is read in bounded memory). Each row comes back as the database's own JSON of it,
 * which `insertRows` turns back into the same values on the target.
 */
export async function readPage(
  db: Database,
  table: TableShape,
  limit: number,
  after?: unknown[],
): Promise<{ json: string[]; lastKey: unknown[] | undefined }> {
  const key = table.primaryKey.map(quoted).join(", ");
  const keyCasts = table.primaryKey.map((name, i) => `$${i + 2}::${typeOf(table, name)}`).join(", ");
  const where = after ? `WHERE (${key}) > (${keyCasts})` : "";
  const { rows } = await db.query<{ row: string; key: unknown[] }>(
    `SELECT row_to_json(t)::text AS row, json_build_array(${table.primaryKey.map((k) => `t.${quoted(k)}`).join(", ")}) AS key
     FROM ${quoted(table.name)} t ${where}
     ORDER BY ${key}
     LIMIT $1::int`,
    [limit, ...(after ?? [])],
  );
  const last = rows.at(-1);
  return {
    json: rows.map((r) => r.row),
    lastKey: last ? (typeof last.key === "string" ? JSON.parse(last.key) : last.key) : undefined,
  };
}

/** Writes rows (as `readPage` gave them) in one statement: each value cast back from its JSON text. */
export async function insertRows(db: Database, table: TableShape, json: string[]): Promise<void> {
  if (json.length === 0) return;
  const names = table.columns.map((c) => quoted(c.name)).join(", ");
  const values = table.columns.map((c) => `(r ->> ${literal(c.name)})::${c.type}`).join(", ");
  await db.query(
    `INSERT INTO ${quoted(table.name)} (${names})
     SELECT ${values} FROM json_array_elements($1::json) AS r`,
    [`[${json.join(",")}]`],
  );
}

/** Every drop's id, for auditing each one on the target after a copy. */
export async function listAllDropIds(db: Database): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>("SELECT id FROM drops ORDER BY id");
  return rows.map((r) => r.id);
}

/** The migrations a database has applied, to refuse a copy between schemas that differ. */
export async function appliedMigrations(db: Database): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>("SELECT name FROM schema_migrations ORDER BY name");
  return rows.map((r) => r.name);
}

function typeOf(table: TableShape, column: string): string {
  return table.columns.find((c) => c.name === column)!.type;
}

/** Column names come from the catalogue; as a JSON key they are a string literal, quoted as SQL quotes one. */
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
