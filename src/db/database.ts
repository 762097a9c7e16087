/**
 * What the repository needs from a backend. PGlite, PostgreSQL and Aurora DSQL differ only in how a
 * connection is made; almost every statement the app runs goes through `query` as one autocommit
 * statement, so each statement is its own transaction on all three. `transaction` exists for the one
 * exception: the purchase's fallback form, for a backend that refuses data-modifying CTEs.
 */
export type Backend = "pglite" | "postgres" | "dsql";

/** Something statements can be sent to: the database itself, or one open transaction on it. */
export interface Queryable {
  /**
   * Runs one statement. `options.name` marks a hot statement: pooled backends prepare it once per
   * connection (saving the planning time on every purchase); PGlite prepares it once per instance (outside
   * a transaction; see pglite.ts).
   */
  query<Row = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<{ rows: Row[] }>;
}

export interface Database extends Queryable {
  readonly backend: Backend;
  /** Isolation the statements run at, for receipts and logs. DSQL is always snapshot (repeatable read). */
  readonly isolation: "read committed" | "repeatable read";
  /**
   * Runs `work` inside BEGIN ... COMMIT on one connection; rolls back and rethrows when `work` throws.
   * Statements sent through `tx` belong to the transaction; `db.query` meanwhile runs outside it.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** Connection figures for metrics, read when scraped; a backend that has none leaves this out. */
  stats?(): DatabaseStats;
}

export interface DatabaseStats {
  /** Connections open (PGlite: its one). */
  connections: number;
  /** Of those, idle. */
  idle: number;
  /** Statements waiting for a connection. */
  waiting: number;
  /** Waits that ran past the acquire timeout (answered busy), since start. */
  acquireTimeouts: number;
  /** Times statements moved between a multi-region cluster's endpoints (DSQL_ENDPOINTS), since start. */
  endpointSwitches?: number;
  /** The embedded engine's WebAssembly memory, in bytes; only PGlite has one. */
  engineMemoryBytes?: number;
}

export interface QueryOptions {
  /** A name unique to this SQL text, for a server-side prepared statement. */
  name?: string;
}

/** Raised when no connection could be had within the acquire timeout: the caller answers "busy". */
export class ConnectionUnavailable extends Error {
  constructor(message = "no database connection became free in time") {
    super(message);
    this.name = "ConnectionUnavailable";
  }
}

interface SqlErrorFields {
  code?: unknown;
  constraint?: unknown;
  message?: unknown;
}

/** The SQLSTATE of a database error, when the error carries one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as SqlErrorFields | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The constraint a unique violation hit; falls back to the message where a backend omits the field. */
export function violatedConstraint(error: unknown): string | undefined {
  if (sqlState(error) !== "23505") return undefined;
  const fields = error as SqlErrorFields;
  if (typeof fields.constraint === "string") return fields.constraint;
  const match = typeof fields.message === "string" ? /constraint "([^"]+)"/.exec(fields.message) : null;
  return match?.[1];
}

/**
 * True when the connection broke so that the outcome of the statement is unknown (it may have committed).
 * SQLSTATE class 08 is "connection exception"; 57P01-57P03 are server shutdowns; errors without a SQLSTATE
 * come from the socket (ECONNRESET, "Connection terminated unexpectedly").
 */
export function isConnectionLost(error: unknown): boolean {
  if (error instanceof ConnectionUnavailable) return false;
  const state = sqlState(error);
  if (state) return state.startsWith("08") || state === "57P01" || state === "57P02" || state === "57P03";
  const code = (error as SqlErrorFields | null)?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return true;
  const message = error instanceof Error ? error.message : "";
  // "Query read timeout" is node-postgres's query_timeout: no answer came, so the statement may have run.
  return /connection terminated|connection ended|socket hang up|Client has encountered a connection error|query read timeout/i.test(
    message,
  );
}

/**
 * True when the database could not serve a statement just now — no connection came free, the connection
 * broke, or the server cancelled the statement (57014, e.g. `statement_timeout`). Outside the purchase's own
 * retry that is an outage or overload, answered `busy` (503 + Retry-After) so the client tries again: never
 * a 500. Inside the purchase a lost connection is first resolved by key (see domain/purchase/purchase.ts).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return error instanceof ConnectionUnavailable || isOutcomeUnknown(error);
}

/**
 * True when a statement ended without telling us whether it committed: the connection broke, or the server
 * cancelled it (57014 query_canceled, e.g. `statement_timeout`). A cancelled autocommit statement is rolled
 * back, but the cancel can race the commit's acknowledgement, so a purchase treats both alike: it looks its
 * idempotency key up before trying again.
 */
export function isOutcomeUnknown(error: unknown): boolean {
  return isConnectionLost(error) || sqlState(error) === "57014";
}
