import { parse } from "libpg-query";
import type { Database, Queryable, QueryOptions } from "../../src/db/database";

/**
 * What Aurora DSQL refuses (/work/shared/DSQL.md), checked on PostgreSQL's own parse tree (libpg-query is
 * PostgreSQL's parser compiled to WebAssembly): every statement the repository sends, and every migration.
 * A regex can be fooled by a keyword inside a string or a comment; a parse tree cannot.
 *
 * @example
 * const { db, log } = recordingDatabase(await openPglite("memory"));
 * ... run the real code on db ...
 * for (const unit of transactionsOf(log)) expect(await transactionProblems(unit)).toEqual([]);
 */

type Tree = Record<string, unknown>;

/** Calls `visit(type, body)` for every `{ Type: body }` node under `value`. */
function walk(value: unknown, visit: (type: string, body: Tree) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
    return;
  }
  if (value === null || typeof value !== "object") return;
  for (const [key, child] of Object.entries(value)) {
    if (/^[A-Z]/.test(key) && child !== null && typeof child === "object" && !Array.isArray(child)) {
      visit(key, child as Tree);
    }
    walk(child, visit);
  }
}

const nodesOf = (tree: unknown, type: string): Tree[] => {
  const found: Tree[] = [];
  walk(tree, (t, body) => {
    if (t === type) found.push(body);
  });
  return found;
};

const names = (list: unknown): string[] =>
  Array.isArray(list)
    ? list.map((n) => String((n as { String?: { sval?: string } }).String?.sval ?? ""))
    : [];

export interface ParsedStatement {
  /** The statement's node type: SelectStmt, InsertStmt, CreateStmt, ... */
  kind: string;
  tree: Tree;
}

/**
 * Parses SQL as the app or a migration file holds it. DSQL's `CREATE INDEX ASYNC` is not PostgreSQL
 * syntax: the keyword is taken out before parsing, and remembered.
 */
export async function parseSql(sql: string): Promise<{ statements: ParsedStatement[]; asyncIndex: boolean }> {
  const asyncIndex = /\bINDEX\s+ASYNC\b/i.test(sql);
  const { stmts } = await parse(sql.replace(/\bINDEX\s+ASYNC\b/gi, "INDEX"));
  const statements = (stmts as { stmt: Tree }[]).map(({ stmt }) => {
    const [kind = "", tree] = Object.entries(stmt)[0] ?? [];
    return { kind, tree: tree as Tree };
  });
  return { statements, asyncIndex };
}

const WRITES = new Set(["InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"]);
/** Statements that neither define schema nor change data. */
const NEITHER = new Set([
  "SelectStmt",
  "TransactionStmt",
  "VariableSetStmt",
  "VariableShowStmt",
  "ExplainStmt",
]);
/** ANALYZE is a utility DSQL takes ("ANALYZE (relation names only)"), not DDL; VACUUM is refused below. */
const MAINTENANCE = new Set(["VacuumStmt"]);

/** Schema statements: everything that is not a query, a data change, transaction control or maintenance. */
export const isDdl = (s: ParsedStatement) =>
  !WRITES.has(s.kind) && !NEITHER.has(s.kind) && !MAINTENANCE.has(s.kind);

/** Whether the statement changes rows: INSERT/UPDATE/DELETE/MERGE, or a query with a data-modifying CTE. */
export const writesData = (s: ParsedStatement) =>
  WRITES.has(s.kind) || [...WRITES].some((kind) => nodesOf(s.tree, kind).length > 0);

/** A data-modifying statement inside a WITH (unverified on a live DSQL cluster). */
export function hasDataModifyingCte(s: ParsedStatement): boolean {
  return nodesOf(s.tree, "CommonTableExpr").some((cte) => {
    const query = cte.ctequery as Tree | undefined;
    return query !== undefined && Object.keys(query).some((kind) => WRITES.has(kind));
  });
}

const SERIAL = new Set(["serial", "serial2", "serial4", "serial8", "smallserial", "bigserial"]);
const SEQUENCE_FUNCTIONS = new Set(["nextval", "setval", "currval", "lastval"]);
const SAVEPOINTS = new Set(["TRANS_STMT_SAVEPOINT", "TRANS_STMT_RELEASE", "TRANS_STMT_ROLLBACK_TO"]);

/** Node types DSQL does not have at all, with the reason shown on failure. */
const REFUSED_KINDS: Record<string, string> = {
  CreateSeqStmt: "sequences",
  AlterSeqStmt: "sequences",
  CreateTrigStmt: "triggers",
  CreateEventTrigStmt: "triggers",
  CreateFunctionStmt: "functions / PL/pgSQL",
  DoStmt: "functions / PL/pgSQL",
  CreateExtensionStmt: "extensions",
  TruncateStmt: "TRUNCATE",
  ListenStmt: "LISTEN/NOTIFY",
  UnlistenStmt: "LISTEN/NOTIFY",
  NotifyStmt: "LISTEN/NOTIFY",
  CompositeTypeStmt: "CREATE TYPE (use text + CHECK)",
  CreateEnumStmt: "CREATE TYPE (use text + CHECK)",
  CreateRangeStmt: "CREATE TYPE (use text + CHECK)",
  CreateDomainStmt: "CREATE DOMAIN",
  CreateTableAsStmt: "CREATE TABLE AS",
  LockStmt: "LOCK TABLE (DSQL takes no locks)",
  CollateClause: "COLLATE (DSQL uses the C collation only)",
};

/**
 * Everything in one statement that DSQL refuses. `asyncIndex`: the source said `CREATE INDEX ASYNC`.
 */
export function statementProblems(s: ParsedStatement, asyncIndex: boolean): string[] {
  const problems = new Set<string>();
  const add = (what: string) => problems.add(`uses ${what}`);
  if (REFUSED_KINDS[s.kind]) add(REFUSED_KINDS[s.kind]!);
  if (s.kind === "VacuumStmt" && s.tree.is_vacuumcmd) add("VACUUM");
  walk({ [s.kind]: s.tree }, (type, body) => {
    if (type !== s.kind && REFUSED_KINDS[type]) add(REFUSED_KINDS[type]!);
    if (type === "TransactionStmt" && SAVEPOINTS.has(String(body.kind))) add("SAVEPOINT");
    if (type === "FuncCall") {
      const [fn = ""] = names(body.funcname).slice(-1);
      if (SEQUENCE_FUNCTIONS.has(fn)) add("sequences");
      if (fn === "pg_notify") add("LISTEN/NOTIFY");
      if (fn.startsWith("pg_advisory") || fn.startsWith("pg_try_advisory")) add("advisory locks");
    }
    if (type === "RangeVar" && (body.relpersistence === "t" || body.relpersistence === "u")) {
      add("temporary or unlogged tables");
    }
    if (type === "IntoClause") add("SELECT INTO");
    if (type === "ColumnDef") {
      const typeName = (body.typeName ?? {}) as Tree;
      const [typ = ""] = names(typeName.names).slice(-1);
      if (SERIAL.has(typ)) add("SERIAL types (use uuid DEFAULT gen_random_uuid())");
      if (typ === "jsonb") add("jsonb column type (use json or text)");
      if (typeName.arrayBounds) add("array column type");
    }
    if (type === "Constraint") {
      if (body.contype === "CONSTR_IDENTITY") add("IDENTITY columns");
      if (body.contype === "CONSTR_FOREIGN") add("foreign keys");
      if (body.contype === "CONSTR_EXCLUSION") add("exclusion constraints");
    }
    if (type === "CreateStmt") {
      const relation = body.relation as Tree | undefined;
      if (relation?.relpersistence === "t" || relation?.relpersistence === "u") {
        add("temporary or unlogged tables");
      }
      if (body.partspec) add("partitions");
      if (Array.isArray(body.inhRelations) && body.inhRelations.length > 0) add("table inheritance");
    }
    if (type === "LockingClause") {
      if (body.strength === "LCS_FORSHARE" || body.strength === "LCS_FORKEYSHARE") add("FOR SHARE");
      if (body.waitPolicy === "LockWaitSkip") add("SKIP LOCKED");
      if (body.waitPolicy === "LockWaitError") add("NOWAIT");
    }
    if (type === "IndexStmt") {
      if (!asyncIndex) add("CREATE INDEX without ASYNC");
      if (body.concurrent) add("CREATE INDEX CONCURRENTLY");
      for (const elem of nodesOf(body.indexParams, "IndexElem")) {
        if (elem.ordering === "SORTBY_ASC" || elem.ordering === "SORTBY_DESC") {
          add("sort direction on an index key (DSQL rejects ASC/DESC)");
        }
      }
    }
  });
  return [...problems];
}

/** DSQL's limit of rows changed in one transaction. */
export const DSQL_MAX_ROWS_PER_TRANSACTION = 3000;

const intOf = (node: unknown, params: readonly unknown[]): number | undefined => {
  const tree = node as Tree | undefined;
  if (!tree) return undefined;
  const constant = tree.A_Const as { ival?: { ival?: number } } | undefined;
  if (constant?.ival) return constant.ival.ival ?? 0;
  const param = (tree.ParamRef ?? (tree.TypeCast as Tree | undefined)?.arg) as Tree | undefined;
  const ref = (param?.ParamRef ?? param) as { number?: number } | undefined;
  if (ref?.number !== undefined) {
    const value = params[ref.number - 1];
    return typeof value === "number" ? value : undefined;
  }
  return undefined;
};

/**
 * The most rows one data change can touch, where the statement and its parameters tell: an INSERT's
 * VALUES lists, the longest array it unnests, a LIMIT in the statement (a DELETE/UPDATE by a limited
 * subquery), or one row for a change keyed on `id = $n`. Undefined when not statically knowable.
 */
function rowsBound(kind: string, tree: Tree, params: readonly unknown[]): number | undefined {
  const limits = nodesOf(tree, "SelectStmt")
    .map((select) => intOf(select.limitCount, params))
    .filter((n): n is number => n !== undefined);
  if (kind === "InsertStmt") {
    const select = (tree.selectStmt as Tree | undefined)?.SelectStmt as Tree | undefined;
    const values = select?.valuesLists;
    if (Array.isArray(values)) return values.length;
    const unnested = nodesOf(tree, "FuncCall")
      .filter((call) => names(call.funcname).at(-1) === "unnest")
      .flatMap((call) => nodesOf(call.args, "ParamRef"))
      .map((ref) => params[Number(ref.number) - 1])
      .filter(Array.isArray)
      .map((array) => array.length);
    if (unnested.length > 0) return Math.max(...unnested);
  }
  if (limits.length > 0) return Math.max(...limits);
  const where = tree.whereClause as Tree | undefined;
  const keyed = nodesOf(where, "A_Expr").some((expr) => {
    const left = (expr.lexpr as Tree | undefined)?.ColumnRef as Tree | undefined;
    return names(expr.name)[0] === "=" && names(left?.fields).at(-1) === "id";
  });
  return keyed ? 1 : undefined;
}

/** The bound of every data change inside a statement (a data-modifying CTE holds several), summed. */
export function rowsChangedBound(s: ParsedStatement, params: readonly unknown[]): number | undefined {
  let total = 0;
  const changes: [string, Tree][] = [];
  walk({ [s.kind]: s.tree }, (type, body) => {
    if (WRITES.has(type)) changes.push([type, body]);
  });
  for (const [kind, tree] of changes) {
    const bound = rowsBound(kind, tree, params);
    if (bound === undefined) return undefined;
    total += bound;
  }
  return total;
}

/** One statement the app sent: its text, parameters, and the transaction it belonged to (null: autocommit). */
export interface SentStatement {
  sql: string;
  params: readonly unknown[];
  name?: string | undefined;
  transaction: number | null;
}

/**
 * A Database that sends everything on to `db` and keeps a log of what it sent, transaction by transaction,
 * so a test can run the real code and then check every statement the repository produced.
 */
export function recordingDatabase(db: Database): { db: Database; log: SentStatement[] } {
  const log: SentStatement[] = [];
  let transactions = 0;
  const recorder =
    (target: Queryable, transaction: number | null): Queryable["query"] =>
    (sql, params = [], options?: QueryOptions) => {
      log.push({ sql, params, name: options?.name, transaction });
      return target.query(sql, params, options);
    };
  const recording: Database = {
    backend: db.backend,
    isolation: db.isolation,
    query: recorder(db, null),
    transaction: (work) => {
      const id = ++transactions;
      return db.transaction((tx) => work({ query: recorder(tx, id) }));
    },
    close: () => db.close(),
  };
  return { db: recording, log };
}

/** The log grouped by transaction: each autocommit statement is a transaction of its own. */
export function transactionsOf(log: SentStatement[]): SentStatement[][] {
  const units: SentStatement[][] = [];
  const open = new Map<number, SentStatement[]>();
  for (const statement of log) {
    if (statement.transaction === null) {
      units.push([statement]);
      continue;
    }
    let unit = open.get(statement.transaction);
    if (!unit) {
      unit = [];
      open.set(statement.transaction, unit);
      units.push(unit);
    }
    unit.push(statement);
  }
  return units;
}

/**
 * What DSQL would refuse in one transaction: any statement's refused features, more than one DDL
 * statement, DDL beside data changes, more than 3,000 rows changed (where the bound is knowable), and a
 * data-modifying CTE unless `allowCte` says this statement is one the app probes for (the purchase's "cte" form).
 */
export async function transactionProblems(
  unit: SentStatement[],
  allowCte: (statement: SentStatement) => boolean = () => false,
): Promise<string[]> {
  const problems: string[] = [];
  let ddl = 0;
  let writes = 0;
  let rows = 0;
  for (const sent of unit) {
    const { statements, asyncIndex } = await parseSql(sent.sql);
    for (const statement of statements) {
      problems.push(...statementProblems(statement, asyncIndex));
      if (isDdl(statement)) ddl++;
      if (writesData(statement)) writes++;
      if (hasDataModifyingCte(statement) && !allowCte(sent)) {
        problems.push("uses a data-modifying CTE (unverified on DSQL: needs a probed fallback)");
      }
      rows += rowsChangedBound(statement, sent.params) ?? 0;
    }
  }
  if (ddl > 1) problems.push(`holds ${ddl} DDL statements; DSQL allows one per transaction`);
  if (ddl > 0 && writes > 0) problems.push("mixes DDL with data changes");
  if (rows > DSQL_MAX_ROWS_PER_TRANSACTION) {
    problems.push(`changes up to ${rows} rows; DSQL allows ${DSQL_MAX_ROWS_PER_TRANSACTION} per transaction`);
  }
  return problems;
}
