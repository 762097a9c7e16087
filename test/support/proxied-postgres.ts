import type { Database } from "../../src/db/database";
import { openPostgres } from "../../src/db/postgres";
import { ADMIN_URL, openTestDatabase, type TestBackend } from "./databases";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy";

export interface ProxiedTestDatabase {
  /** The app's database: a pool whose every connection crosses the proxy. */
  db: Database;
  /** The same database reached directly, for setup and for checking what really committed. */
  direct: Database;
  proxy: TcpProxy;
  /** The database's own URL (not through the proxy), for a test's dedicated client. */
  directUrl: string;
  close(): Promise<void>;
}

/**
 * A fresh, migrated PostgreSQL test database that the app reaches through a fault proxy.
 * @example const { db, proxy } = await openProxiedTestDatabase("postgres-read-committed", { poolSize: 4 });
 */
export async function openProxiedTestDatabase(
  backend: Exclude<TestBackend, "pglite" | "dsql">,
  options: { poolSize?: number; acquireTimeoutMs?: number; statementTimeoutMs?: number } = {},
): Promise<ProxiedTestDatabase> {
  const direct = await openTestDatabase(backend);
  const { rows } = await direct.query<{ name: string }>("SELECT current_database() AS name");
  const admin = new URL(ADMIN_URL);
  const proxy = await startTcpProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
  admin.pathname = `/${rows[0]!.name}`;
  const db = openPostgres({
    url: proxy.urlFor(admin.toString()),
    poolSize: options.poolSize ?? 8,
    acquireTimeoutMs: options.acquireTimeoutMs ?? 2000,
    isolation: direct.isolation,
    ...(options.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: options.statementTimeoutMs }),
  });
  return {
    db,
    direct,
    proxy,
    directUrl: admin.toString(),
    async close() {
      await db.close();
      await proxy.close();
      await direct.close();
    },
  };
}
