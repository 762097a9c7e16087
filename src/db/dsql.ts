import { DsqlSigner } from "@aws-sdk/dsql-signer";
import pg from "pg";
import type { Database } from "./database";
import { type FailoverOptions, failoverDatabase } from "./failover";
import { type PoolOptions, poolDatabase } from "./postgres";

export interface DsqlOptions {
  endpoint: string;
  region: string;
  user: string;
  poolSize: number;
  acquireTimeoutMs: number;
  /**
   * Longest the client waits for a statement's answer (DB_STATEMENT_TIMEOUT_MS); 0 or absent = no limit.
   * DSQL has no server-side `statement_timeout` to set, so the bound is node-postgres's `query_timeout`:
   * past it the statement fails ("Query read timeout", outcome unknown), and the pool discards its
   * connection, which ends the transaction on DSQL's side uncommitted.
   */
  statementTimeoutMs?: number | undefined;
}

/**
 * Connection settings for Aurora DSQL. The IAM token is the password: it is signed locally (no network
 * call) and checked only when a connection opens, so `password` is a function that node-postgres calls
 * for every new connection, and connections are recycled well before DSQL's 60-minute limit.
 * See AWS "Generating an authentication token in Aurora DSQL" and "Cluster quotas" (60 min connections).
 */
export function dsqlPoolOptions(options: DsqlOptions): PoolOptions {
  const signer = new DsqlSigner({ hostname: options.endpoint, region: options.region });
  const password =
    options.user === "admin"
      ? () => signer.getDbConnectAdminAuthToken()
      : () => signer.getDbConnectAuthToken();
  return {
    host: options.endpoint,
    port: 5432,
    user: options.user,
    database: "postgres",
    password,
    ssl: { rejectUnauthorized: true },
    max: options.poolSize,
    maxLifetimeSeconds: 50 * 60,
    acquireTimeoutMs: options.acquireTimeoutMs,
    ...(options.statementTimeoutMs ? { query_timeout: options.statementTimeoutMs } : {}),
  };
}

/**
 * Aurora DSQL: snapshot isolation only, conflicts surface as SQLSTATE 40001 at commit. With the endpoints of
 * a multi-region cluster (local first), statements fail over between them (see failover.ts).
 */
export function openDsql(
  options: DsqlOptions & { endpoints?: { endpoint: string; region: string }[] },
  failover: FailoverOptions = {},
): Database {
  const endpoints = options.endpoints ?? [{ endpoint: options.endpoint, region: options.region }];
  if (endpoints.length === 1) return poolDatabase("dsql", "repeatable read", dsqlPoolOptions(options));
  return failoverDatabase(
    endpoints.map((e) => {
      const config = dsqlPoolOptions({ ...options, ...e });
      return {
        name: e.endpoint,
        db: poolDatabase("dsql", "repeatable read", config),
        probe: () => probeConnection(config),
      };
    }),
    failover,
  );
}

/**
 * Opens one fresh connection (not from the pool, which may be waiting on the same dead endpoint) and runs
 * `SELECT 1`, giving up after `timeoutMs`: the failover's test of whether an endpoint answers at all.
 */
export async function probeConnection(config: PoolOptions, timeoutMs = 2000): Promise<void> {
  const { max: _max, maxLifetimeSeconds: _lifetime, acquireTimeoutMs: _wait, ...connection } = config;
  const client = new pg.Client({
    ...connection,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
  } finally {
    await client.end().catch(() => undefined);
  }
}
