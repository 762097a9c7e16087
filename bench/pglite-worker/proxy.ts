/**
 * PGlite in a worker thread, as a `Database`: each statement is a message to thread.ts and its rows come
 * back by structured clone; a transaction is a run of messages holding the worker's queue. A measurement
 * prototype (BENCHMARKS.md, round four), not the server's backend.
 */
import { Worker } from "node:worker_threads";
import type { Database, Queryable, QueryOptions } from "../../src/db/database";

export async function openPgliteInWorker(dataDir: string): Promise<Database> {
  const onBun = process.versions.bun !== undefined;
  const thread = new URL("./thread.ts", import.meta.url);
  // Bun runs TypeScript in a worker as it is; Node loads tsx first (boot.mjs).
  const worker = new Worker(onBun ? thread : new URL("./boot.mjs", import.meta.url), {
    workerData: { dataDir, entry: thread.href },
  });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let nextId = 1;
  const ready = new Promise<void>((resolve, reject) => {
    waiting.set(0, { resolve: () => resolve(), reject });
    worker.once("error", reject);
  });
  worker.on("message", (m: { id: number; value?: unknown; error?: Record<string, unknown> }) => {
    const entry = waiting.get(m.id);
    if (!entry) return;
    waiting.delete(m.id);
    if (m.error) entry.reject(Object.assign(new Error(String(m.error.message)), m.error));
    else entry.resolve(m.value);
  });
  const call = <T>(message: Record<string, unknown>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...message, id });
    });
  const queryIn = (tx?: number): Queryable["query"] =>
    ((text: string, params?: readonly unknown[], options?: QueryOptions) =>
      call({ op: "query", text, params, name: options?.name, tx })) as Queryable["query"];
  await ready;
  let engineMemoryBytes = 0;
  return {
    backend: "pglite",
    isolation: "read committed",
    query: queryIn(),
    async transaction(work) {
      const tx = await call<number>({ op: "begin" });
      // The worker answers the transaction's end under id -tx.
      const ended = new Promise<unknown>((resolve) => waiting.set(-tx, { resolve, reject: resolve }));
      try {
        const result = await work({ query: queryIn(tx) });
        worker.postMessage({ op: "end", tx, commit: true, id: nextId++ });
        const outcome = await ended;
        if (outcome instanceof Error) throw outcome;
        return result;
      } catch (error) {
        worker.postMessage({ op: "end", tx, commit: false, id: nextId++ });
        await ended;
        throw error;
      }
    },
    stats: () => {
      void call<number>({ op: "memory" }).then((bytes) => {
        engineMemoryBytes = bytes;
      });
      return { connections: 1, idle: 1, waiting: waiting.size, acquireTimeouts: 0, engineMemoryBytes };
    },
    async close() {
      await call({ op: "close" });
      await worker.terminate();
    },
  };
}
