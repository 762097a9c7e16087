import type { DatabaseConfig } from "../config";
import type { Database } from "./database";
import { migrate } from "./migrate";
import { openDatabase } from "./open";
import { openSnapshot } from "./snapshot";

/**
 * Where `npm run db:export` / `db:backup` read or write: a PostgreSQL URL, an Aurora DSQL endpoint
 * written `dsql://<endpoint>?region=<region>[&user=<role>]`, or else the path of an embedded data folder.
 */
export type Location =
  | { kind: "postgres"; url: string }
  | { kind: "dsql"; endpoint: string; region: string; user: string }
  | { kind: "pglite"; dataDir: string };

export function parseLocation(text: string): Location {
  if (/^postgres(ql)?:\/\//i.test(text)) return { kind: "postgres", url: text };
  if (/^dsql:\/\//i.test(text)) {
    const url = new URL(text);
    const region = url.searchParams.get("region");
    if (!url.hostname || !region) throw new Error(`${text}: write dsql://<endpoint>?region=<region>`);
    return { kind: "dsql", endpoint: url.hostname, region, user: url.searchParams.get("user") ?? "admin" };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw new Error(`${text}: not a postgres://, dsql:// or folder`);
  return { kind: "pglite", dataDir: text };
}

/** The configured database as a location (the default source of an export). */
export function locationOf(config: DatabaseConfig): Location {
  if (config.kind === "pglite") return { kind: "pglite", dataDir: config.dataDir };
  if (config.kind === "postgres") return { kind: "postgres", url: config.url };
  return { kind: "dsql", endpoint: config.endpoint, region: config.region, user: config.user };
}

/**
 * A consistent view to copy from: one snapshot transaction on a server, or the embedded folder itself,
 * which no running server may hold (openPglite refuses a folder another process has open).
 */
export async function openSource(location: Location): Promise<Database> {
  if (location.kind !== "pglite") return openSnapshot(location);
  const db = await (await import("./pglite")).openPglite(location.dataDir);
  await migrate(db);
  return db;
}

/** The database to copy into, migrated to the current schema. */
export function openTarget(location: Location): Promise<Database> {
  const config: DatabaseConfig =
    location.kind === "pglite"
      ? { kind: "pglite", dataDir: location.dataDir, acquireTimeoutMs: 60_000 }
      : location.kind === "postgres"
        ? {
            kind: "postgres",
            url: location.url,
            poolSize: 4,
            acquireTimeoutMs: 30_000,
            isolation: "read committed",
          }
        : { ...location, endpoints: [location], poolSize: 4, acquireTimeoutMs: 30_000 };
  return openDatabase(config);
}

/**
 * Opens `from` as a consistent source and `to` as a migrated target, hands both to `work`, and closes both
 * whatever happens: the frame of every copy (`db:export`, `db:backup`).
 */
export async function withSourceAndTarget<T>(
  from: Location,
  to: Location,
  work: (source: Database, target: Database) => Promise<T>,
): Promise<T> {
  const source = await openSource(from);
  try {
    const target = await openTarget(to);
    try {
      return await work(source, target);
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

export function describeLocation(location: Location): string {
  if (location.kind === "pglite") return `embedded folder ${location.dataDir}`;
  if (location.kind === "dsql") return `Aurora DSQL ${location.endpoint}`;
  const url = new URL(location.url);
  url.password = url.password ? "***" : "";
  return `PostgreSQL ${url.toString()}`;
}
