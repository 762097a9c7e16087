/**
 * The worker thread of the measured-and-not-kept "PGlite off the HTTP thread" (BENCHMARKS.md, round four):
 * it owns the PGlite instance (src/db/pglite.ts, unchanged: its serial queue and event-loop turn) and runs
 * the statements the main thread posts (proxy.ts).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Queryable } from "../../src/db/database";
import { openPglite } from "../../src/db/pglite";

export type Request =
  | { id: number; op: "query"; text: string; params?: readonly unknown[]; name?: string; tx?: number }
  | { id: number; op: "begin" }
  | { id: number; op: "end"; tx: number; commit: boolean }
  | { id: number; op: "close" }
  | { id: number; op: "memory" };

const port = parentPort!;
const db = await openPglite((workerData as { dataDir: string }).dataDir);
const open = new Map<number, { tx: Queryable; end: (commit: boolean) => void }>();
let nextTx = 1;

const errorFields = (error: unknown) => {
  const e = error as { message?: unknown; code?: unknown; constraint?: unknown };
  return { message: String(e?.message ?? error), code: e?.code, constraint: e?.constraint };
};

port.on("message", (m: Request) => {
  const reply = (work: () => Promise<unknown>) =>
    work().then(
      (value) => port.postMessage({ id: m.id, value }),
      (error) => port.postMessage({ id: m.id, error: errorFields(error) }),
    );
  if (m.op === "query") {
    const target = m.tx === undefined ? db : open.get(m.tx)?.tx;
    if (!target) return void port.postMessage({ id: m.id, error: { message: "no such transaction" } });
    void reply(() => target.query(m.text, m.params, m.name ? { name: m.name } : undefined));
  } else if (m.op === "begin") {
    const tx = nextTx++;
    // The transaction holds PGlite's queue until the main thread ends it.
    db.transaction(
      (q) =>
        new Promise<void>((resolve, reject) => {
          open.set(tx, { tx: q, end: (commit) => (commit ? resolve() : reject(new Error("rollback"))) });
          port.postMessage({ id: m.id, value: tx });
        }),
    ).then(
      () => port.postMessage({ id: -tx, value: "committed" }),
      (error) => port.postMessage({ id: -tx, error: errorFields(error) }),
    );
  } else if (m.op === "end") {
    open.get(m.tx)?.end(m.commit);
    open.delete(m.tx);
  } else if (m.op === "memory") {
    void reply(async () => db.stats?.().engineMemoryBytes);
  } else if (m.op === "close") {
    void reply(() => db.close()).then(() => port.close());
  }
});
port.postMessage({ id: 0, value: "ready" });
