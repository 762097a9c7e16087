import pg from "pg";
import { type Backend, ConnectionUnavailable, type Database, type QueryOptions } from "./database";

// Counts and sums are cast in SQL; keep int8 as a string so nothing is silently rounded.
export type PoolOptions = pg.PoolConfig & { acquireTimeoutMs: number };

/**
 * Wraps a bounded `pg.Pool`. A request that cannot get a connection within `acquireTimeoutMs` fails with
 * `ConnectionUnavailable` (answered as "busy"), so the wait is bounded in time rather than queueing forever.
 */
export function poolDatabase(
  backend: Backend,
  isolation: Database["isolation"],
  options: PoolOptions,
): Database & { pool: pg.Pool } {
  const { acquireTimeoutMs, ...poolConfig } = options;
  const pool = new pg.Pool({ ...poolConfig, connectionTimeoutMillis: acquireTimeoutMs });
  // An idle client that dies (server restart, DSQL's 60-minute limit) must not crash the process.
  pool.on("error", () => undefined);
  return {
    backend,
    isolation,
    pool,
    async query<Row>(text: string, params: readonly unknown[] = [], options: QueryOptions = {}) {
      try {
        const values = params as unknown[];
        const result = await (options.name
          ? pool.query({ name: options.name, text, values })
          : pool.query(text, values));
        return { rows: result.rows as Row[] };
      } catch (error) {
        if (error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message)) {
          throw new ConnectionUnavailable();
        }
        throw error;
      }
    },
    close: () => pool.end(),
  };
}

/** How much longer than the statement timeout the client waits for any answer at all. */
const NO_ANSWER_MARGIN_MS = 1000;

/**
 * PostgreSQL through `DATABASE_URL`. The pool is small on purpose: on a hot row more clients mean more
 * lock waiting, and measured throughput falls past about eight.
 */
export function openPostgres(options: {
  url: string;
  poolSize: number;
  acquireTimeoutMs: number;
  isolation: Database["isolation"];
  /** Longest a statement may run before the server cancels it (57014); 0 = no limit. */
  statementTimeoutMs?: number;
}): Database & { pool: pg.Pool } {
  return poolDatabase("postgres", options.isolation, {
    connectionString: options.url,
    max: options.poolSize,
    acquireTimeoutMs: options.acquireTimeoutMs,
    options: `-c default_transaction_isolation=${options.isolation.replace(" ", "\\ ")}`,
    ...(options.statementTimeoutMs
      ? {
          statement_timeout: options.statementTimeoutMs,
          // The server's limit cannot end a wait for an answer that never comes (a network that drops
          // packets without a reset): the client gives up a little later, and the pool discards that
          // connection (pg-pool releases a client with the query's error, which destroys it).
          query_timeout: options.statementTimeoutMs + NO_ANSWER_MARGIN_MS,
        }
      : {}),
  });
}
