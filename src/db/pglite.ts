import { mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { Database, Queryable } from "./database";
import { SerialQueue } from "./serial-queue";

const openDataDirs = new Set<string>();

/**
 * The embedded database serves one process and a modest data set; PostgreSQL's default 128 MB of shared
 * buffers only made the process bigger (measured: about 90 MB more resident memory after 20,000 orders).
 */
const EMBEDDED_SETTINGS = ["shared_buffers = 16MB"];

/**
 * Durability, as read in @electric-sql/pglite 0.5.16 (dist/) and measured by test/faults-sigkill.test.ts:
 * a data folder is mounted through Emscripten's NODEFS, whose writes are synchronous `fs.writeSync` calls
 * and which has no fsync; PGlite's default start parameters also pass `-F` (fsync off). synchronous_commit
 * stays on, so a commit's WAL record is written to the OS before the statement returns: an acknowledged
 * order survives a crash of this process, not a crash of the machine. `relaxedDurability` only matters for
 * file systems that sync after each query (IndexedDB); NODEFS has nothing to defer, so it is left unset.
 *
 * The embedded default: real Postgres compiled to WebAssembly, in this process. It is one connection, so
 * every statement passes through a serial queue, and a data folder is opened at most once per process
 * (two instances on one folder would corrupt it).
 */
export async function openPglite(dataDir: string | "memory", acquireTimeoutMs = 10_000): Promise<Database> {
  const folder = dataDir === "memory" ? undefined : path.resolve(dataDir);
  if (folder) {
    if (openDataDirs.has(folder)) throw new Error(`PGlite data folder ${folder} is already open`);
    await lockFolder(folder);
    openDataDirs.add(folder);
  }
  const pg = await PGlite.create({
    ...(folder ? { dataDir: folder } : {}),
    postgresqlconf: EMBEDDED_SETTINGS,
  });
  const queue = new SerialQueue(acquireTimeoutMs);
  const queryOn = (target: Pick<PGlite, "query">): Queryable["query"] =>
    (async <Row>(text: string, params: readonly unknown[] = []) => {
      const result = await target.query<Row>(text, params as unknown[]);
      return { rows: result.rows };
    }) as Queryable["query"];
  const direct = queryOn(pg);
  return {
    backend: "pglite",
    isolation: "read committed",
    query: ((text: string, params?: readonly unknown[]) =>
      queue.run(() => direct(text, params))) as Queryable["query"],
    // The whole transaction holds the queue's one slot, so no other statement interleaves with it.
    transaction: (work) => queue.run(() => pg.transaction((tx) => work({ query: queryOn(tx) }))),
    stats: () => ({
      connections: 1,
      idle: queue.busy ? 0 : 1,
      waiting: queue.waiting,
      acquireTimeouts: queue.timeouts,
      engineMemoryBytes: pg.Module.HEAPU8.byteLength,
    }),
    async close() {
      await queue.run(() => pg.close());
      if (folder) {
        openDataDirs.delete(folder);
        await unlink(path.join(folder, LOCK_FILE)).catch(() => undefined);
      }
    },
  };
}

const LOCK_FILE = "dropfront.lock";

/**
 * Claims a data folder for this process: two processes on one folder (a second `npm start`, or
 * `npm run db:backup` while the server runs) would corrupt it. A lock left by a process that no longer
 * exists (killed, crashed) is taken over.
 */
async function lockFolder(folder: string): Promise<void> {
  const file = path.join(folder, LOCK_FILE);
  await mkdir(folder, { recursive: true });
  try {
    await writeFile(file, String(process.pid), { flag: "wx" });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const holder = Number.parseInt(await readFile(file, "utf8").catch(() => ""), 10);
  if (holder > 0 && holder !== process.pid && isRunning(holder)) {
    throw new Error(`PGlite data folder ${folder} is in use by process ${holder}; stop it first`);
  }
  await writeFile(file, String(process.pid));
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
