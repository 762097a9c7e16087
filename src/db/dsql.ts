import { DsqlSigner } from "@aws-sdk/dsql-signer";
import type { Database } from "./database";
import { type PoolOptions, poolDatabase } from "./postgres";

export interface DsqlOptions {
  endpoint: string;
  region: string;
  user: string;
  poolSize: number;
  acquireTimeoutMs: number;
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
  };
}

/** Aurora DSQL: snapshot isolation only, conflicts surface as SQLSTATE 40001 at commit. */
export function openDsql(options: DsqlOptions): Database {
  return poolDatabase("dsql", "repeatable read", dsqlPoolOptions(options));
}
