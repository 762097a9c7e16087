import { spawn } from "node:child_process";
import { access, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite, parse, protocol } from "@electric-sql/pglite";
import type { Database, Queryable, QueryOptions } from "./database";
import { EMBEDDED_SETTINGS } from "./pglite-settings";
import { SerialQueue } from "./serial-queue";

const openDataDirs = new Set<string>();
/** The engine behind each open PGlite database, for dumpPglite. */
const engines = new WeakMap<Database, PGlite>();

export interface PgliteOptions {
  /** Hot statements (sent with `options.name`) as named prepared statements; true unless set (the bench compares). */
  prepare?: boolean;
  /**
   * Start a memory database from a dumped data folder (dumpPglite) instead of a new one: initdb in
   * WebAssembly takes seconds, loading a dump of a migrated database a fraction of that. The test suites'
   * shared fixture (test/support/databases.ts).
   */
  loadDataDir?: Blob;
}

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
export async function openPglite(
  dataDir: string | "memory",
  acquireTimeoutMs = 10_000,
  options: PgliteOptions = {},
): Promise<Database> {
  const { prepare = true, loadDataDir } = options;
  const folder = dataDir === "memory" ? undefined : path.resolve(dataDir);
  if (folder && loadDataDir) throw new Error("loadDataDir starts a memory database only");
  if (folder) {
    if (openDataDirs.has(folder)) throw new Error(`PGlite data folder ${folder} is already open`);
    await lockFolder(folder);
    openDataDirs.add(folder);
    try {
      if (!(await exists(path.join(folder, "PG_VERSION")))) await initdbApart(folder);
    } catch (error) {
      openDataDirs.delete(folder);
      await unlink(path.join(folder, LOCK_FILE)).catch(() => undefined);
      throw error;
    }
  }
  const pg = await PGlite.create({
    ...(folder ? { dataDir: folder } : {}),
    ...(loadDataDir ? { loadDataDir } : {}),
    postgresqlconf: EMBEDDED_SETTINGS,
  });
  const queue = new SerialQueue(acquireTimeoutMs);
  const queryOn = (target: Pick<PGlite, "query">): Queryable["query"] =>
    (async <Row>(text: string, params: readonly unknown[] = []) => {
      const result = await target.query<Row>(text, params as unknown[]);
      return { rows: result.rows };
    }) as Queryable["query"];
  const direct = queryOn(pg);
  const prepared = preparedStatements(pg);
  const database: Database = {
    backend: "pglite",
    isolation: "read committed",
    query: ((text: string, params?: readonly unknown[], options?: QueryOptions) =>
      queue.run(async () => {
        await ioTurn();
        return options?.name && prepare ? prepared(options.name, text, params ?? []) : direct(text, params);
      })) as Queryable["query"],
    // The whole transaction holds the queue's one slot, so no other statement interleaves with it.
    transaction: (work) =>
      queue.run(async () => {
        await ioTurn();
        return pg.transaction((tx) => work({ query: queryOn(tx) }));
      }),
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
  engines.set(database, pg);
  return database;
}

/**
 * The data folder of an open PGlite database as an uncompressed tarball, to start copies of it
 * (loadDataDir). Call it while the database is idle: the dump does not wait for statements in flight.
 */
export async function dumpPglite(db: Database): Promise<Blob> {
  const pg = engines.get(db);
  if (!pg) throw new Error("dumpPglite: not a PGlite database opened by openPglite");
  return pg.dumpDataDir("none");
}

/**
 * One turn of the event loop before a statement starts. PGlite runs a statement on this thread without
 * yielding, and the next queued statement started in the same microtask checkpoint as the last one's
 * answer, so requests that arrived meanwhile were read only once the queue ran dry: each purchase statement
 * then carried the one buyer that had reached the batcher (measured: 1.0 buyer a statement in the 20,000 /
 * 1,000 / 200 race). setImmediate runs after the poll phase, so the requests waiting on their sockets reach
 * the batcher first and the next statement takes them all.
 */
const ioTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Named server-side prepared statements on PGlite. `PGlite.query` sends Parse, Describe, Bind, Describe,
 * Execute and Sync as six separate calls into the engine, and parses and plans the text every time (the
 * unnamed statement). A hot statement (one sent with `options.name`) is parsed once per instance under its
 * name; each run is then one call carrying Bind, Describe, Execute and Sync, planned from the cached
 * statement. Only for statements outside an explicit transaction (the queue holds the engine meanwhile).
 */
function preparedStatements(pg: PGlite) {
  const serialize = protocol.serialize;
  const parameterTypes = new Map<string, number[]>();
  return async <Row>(name: string, text: string, params: readonly unknown[]): Promise<{ rows: Row[] }> => {
    let types = parameterTypes.get(name);
    if (!types) {
      const described = await pg.execProtocolStream(
        joined([serialize.parse({ name, text }), serialize.describe({ type: "S", name }), serialize.sync()]),
        { syncToFs: false },
      );
      types = parse.parseDescribeStatementResults(described);
      parameterTypes.set(name, types);
    }
    const values = params.map((param, i) => {
      if (param === null || param === undefined) return null;
      const serializer = pg.serializers[types[i] ?? 0];
      return serializer ? serializer(param) : String(param);
    });
    const messages = await pg.execProtocolStream(
      joined([
        serialize.bind({ statement: name, values: values as string[] }),
        serialize.describe({ type: "P" }),
        serialize.execute({}),
        serialize.sync(),
      ]),
      { syncToFs: true },
    );
    const [result] = parse.parseResults(messages, pg.parsers);
    return { rows: (result?.rows ?? []) as Row[] };
  };
}

function joined(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/**
 * Creates a new data folder in a process of its own (pglite-initdb.ts), with this process's runtime: PGlite's
 * initdb takes about 750 MiB that the process running it keeps, which would otherwise set the server's peak
 * memory for its whole life (884 MiB resident on a fresh folder against 131 MiB on an existing one).
 * From the sources under Node the child loads tsx, as `npm run start:node` does; the production bundle
 * has pglite-initdb.js beside it (scripts/build.mjs).
 */
async function initdbApart(folder: string): Promise<void> {
  const fromSources = import.meta.url.endsWith(".ts");
  const script = fileURLToPath(
    new URL(fromSources ? "./pglite-initdb.ts" : "./pglite-initdb.js", import.meta.url),
  );
  const onBun = process.versions.bun !== undefined;
  const args = fromSources && !onBun ? ["--import", "tsx", script, folder] : [script, folder];
  const root = fileURLToPath(new URL("../..", import.meta.url));
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4096);
    });
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      code === 0
        ? resolve()
        : reject(
            new Error(`creating the PGlite data folder ${folder} failed (${signal ?? code}): ${stderr}`),
          ),
    );
  });
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
