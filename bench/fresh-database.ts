import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * A throwaway PostgreSQL database for one bench run, made beside the admin database the way the tests'
 * `test/support/databases.ts` does, and dropped at the end so runs never measure each other's rows.
 */
export interface FreshDatabase {
  url: string;
  name: string;
  serverVersion: string;
  drop(): Promise<void>;
}

async function adminQuery<Row extends Record<string, unknown>>(
  adminUrl: string,
  sql: string,
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query<Row>(sql)).rows;
  } finally {
    await client.end();
  }
}

export async function createFreshDatabase(adminUrl: string): Promise<FreshDatabase> {
  const name = `dropfront_bench_${randomBytes(6).toString("hex")}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const [row] = await adminQuery<{ server_version: string }>(adminUrl, "SHOW server_version");
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    serverVersion: row?.server_version ?? "unknown",
    drop: async () => {
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
