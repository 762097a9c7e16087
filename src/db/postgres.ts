import pg from "pg";
import {
  type Backend,
  ConnectionUnavailable,
  type Database,
  type DatabaseStats,
  isConnectionLost,
  type Queryable,
  type QueryOptions,
} from "./database";
import { isRehearsalWork, RehearsalShare } from "./rehearsal-lane";

// Counts and sums are cast in SQL; keep int8 as a string so nothing is silently rounded.
export type PoolOptions = pg.PoolConfig & { acquireTimeoutMs: number };

/** A Stress Test's statements may hold at most a quarter of the pool (at least one connection). */
export const rehearsalSlotsFor = (poolSize: number) => Math.max(1, Math.floor(poolSize / 4));

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
  const queryOn =
    (target: pg.Pool | pg.PoolClient): Queryable["query"] =>
    async <Row>(text: string, params: readonly unknown[] = [], options: QueryOptions = {}) => {
      const values = params as unknown[];
      const result = await (options.name
        ? target.query({ name: options.name, text, values })
        : target.query(text, values));
      return { rows: result.rows as Row[] };
    };
  const direct = queryOn(pool);
  let acquireTimeouts = 0;
  const asUnavailable = (error: unknown): unknown => {
    if (!isAcquireTimeout(error)) return error;
    acquireTimeouts++;
    return new ConnectionUnavailable();
  };
  const share = new RehearsalShare(rehearsalSlotsFor(poolConfig.max ?? 10), acquireTimeoutMs);
  return {
    backend,
    isolation,
    pool,
    async query<Row>(text: string, params?: readonly unknown[], options?: QueryOptions) {
      try {
        // Live work takes any connection; the Stress Test's own requests queue for their bounded share.
        return await (isRehearsalWork()
          ? share.run(() => direct<Row>(text, params, options))
          : direct<Row>(text, params, options));
      } catch (error) {
        throw asUnavailable(error);
      }
    },
    async transaction(work) {
      const client = await pool.connect().catch((error: unknown) => Promise.reject(asUnavailable(error)));
      let broken: unknown;
      // A checked-out client's socket errors are not handled by the pool; unhandled they crash the process.
      // The statement in flight fails with the same error, which is what the caller acts on.
      const onError = (error: unknown) => {
        broken = error;
      };
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const result = await work({ query: queryOn(client) });
        await client.query("COMMIT");
        return result;
      } catch (error) {
        if (isConnectionLost(error)) broken = error;
        else await client.query("ROLLBACK").catch((rollbackError: unknown) => (broken = rollbackError));
        throw error;
      } finally {
        client.off("error", onError);
        // A client whose connection broke is destroyed rather than handed to the next caller.
        client.release(broken instanceof Error ? broken : broken === undefined ? undefined : true);
      }
    },
    close: () => pool.end(),
    stats: (): DatabaseStats => ({
      connections: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      acquireTimeouts,
    }),
  };
}

function isAcquireTimeout(error: unknown): boolean {
  return error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message);
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
