import pg from "pg";
import type { Database } from "./database";
import { dsqlPoolOptions } from "./dsql";

export type SnapshotSource =
  | { kind: "postgres"; url: string }
  | { kind: "dsql"; endpoint: string; region: string; user: string };

/**
 * A read-only view of a live PostgreSQL or Aurora DSQL database as of one moment: every query runs on one
 * connection inside one REPEATABLE READ transaction, so a copy taken while the shop keeps selling is still
 * one consistent snapshot (no order without its unit, no unit without its order). DSQL ends a transaction
 * after five minutes, which bounds how large a shop can be copied out of it this way.
 */
export async function openSnapshot(source: SnapshotSource): Promise<Database> {
  const client = new pg.Client(
    source.kind === "postgres"
      ? { connectionString: source.url }
      : (({ max: _max, maxLifetimeSeconds: _life, acquireTimeoutMs: _wait, ...rest }) => rest)(
          dsqlPoolOptions({ ...source, poolSize: 1, acquireTimeoutMs: 10_000 }),
        ),
  );
  client.on("error", () => undefined);
  await client.connect();
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  const query = async <Row>(text: string, params: readonly unknown[] = []) => {
    const result = await client.query(text, params as unknown[]);
    return { rows: result.rows as Row[] };
  };
  return {
    backend: source.kind,
    isolation: "repeatable read",
    query,
    // Everything here already runs inside the one snapshot transaction.
    transaction: (work) => work({ query }),
    async close() {
      await client.query("COMMIT").catch(() => undefined);
      await client.end();
    },
  };
}
