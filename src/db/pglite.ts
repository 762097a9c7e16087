import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { Database } from "./database";
import { SerialQueue } from "./serial-queue";

const openDataDirs = new Set<string>();

/**
 * The embedded default: real Postgres compiled to WebAssembly, in this process. It is one connection, so
 * every statement passes through a serial queue, and a data folder is opened at most once per process
 * (two instances on one folder would corrupt it).
 */
export async function openPglite(dataDir: string | "memory", acquireTimeoutMs = 10_000): Promise<Database> {
  const folder = dataDir === "memory" ? undefined : path.resolve(dataDir);
  if (folder) {
    if (openDataDirs.has(folder)) throw new Error(`PGlite data folder ${folder} is already open`);
    openDataDirs.add(folder);
  }
  const pg = folder ? await PGlite.create(folder) : await PGlite.create();
  const queue = new SerialQueue(acquireTimeoutMs);
  return {
    backend: "pglite",
    isolation: "read committed",
    query: <Row>(text: string, params: readonly unknown[] = []) =>
      queue.run(async () => {
        const result = await pg.query<Row>(text, params as unknown[]);
        return { rows: result.rows };
      }),
    async close() {
      await queue.run(() => pg.close());
      if (folder) openDataDirs.delete(folder);
    },
  };
}
