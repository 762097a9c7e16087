import pg from "pg";
import { type Backend, ConnectionUnavailable, type Database, type QueryOptions } from "./database";
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
  const share = new RehearsalShare(rehearsalSlotsFor(poolConfig.max ?? 10), acquireTimeoutMs);
  const send = (text: string, values: unknown[], options: QueryOptions) =>
    options.name ? pool.query({ name: options.name, text, values }) : pool.query(text, values);
  return {
    backend,
    isolation,
    pool,
    async query<Row>(text: string, params: readonly unknown[] = [], options: QueryOptions = {}) {
      try {
        const values = params as unknown[];
        // Live work takes any connection; the Stress Test's own requests queue for their bounded share.
        const result = await (isRehearsalWork()
          ? share.run(() => send(text, values, options))
          : send(text, values, options));
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

/**
 * PostgreSQL through `DATABASE_URL`. The pool is small on purpose: on a hot row more clients mean more
 * lock waiting, and measured throughput falls past about eight.
 */
export function openPostgres(options: {
  url: string;
  poolSize: number;
  acquireTimeoutMs: number;
  isolation: Database["isolation"];
}): Database & { pool: pg.Pool } {
  return poolDatabase("postgres", options.isolation, {
    connectionString: options.url,
    max: options.poolSize,
    acquireTimeoutMs: options.acquireTimeoutMs,
    options: `-c default_transaction_isolation=${options.isolation.replace(" ", "\\ ")}`,
  });
}
