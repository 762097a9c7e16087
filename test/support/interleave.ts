import type { Database, Queryable } from "../../src/db/database";

/**
 * Deterministic interleavings on a server database (issue 21 §2): a transaction held open at a chosen
 * point, and a wait until another statement is blocked behind it. PGlite has one connection and runs a
 * transaction with nothing beside it (src/db/pglite.ts), so none of this can happen there.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Transactions still held open: a test that fails half-way leaves them to `commitHeld` (afterEach). */
const held = new Set<() => void>();

/** Commits every transaction a test left open, so the database can close (use in afterEach). */
export function commitHeld(): void {
  for (const commit of held) commit();
}

/** A transaction that runs `work`, then stays open (holding its row and index locks) until `commit()`. */
export function heldTransaction<T>(db: Database, work: (tx: Queryable) => Promise<T>) {
  let commit!: () => void;
  const released = new Promise<void>((resolve) => {
    commit = resolve;
  });
  held.add(commit);
  released.then(() => held.delete(commit));
  let worked!: (value: T) => void;
  const done = new Promise<T>((resolve) => {
    worked = resolve;
  });
  const committed = db.transaction(async (tx) => {
    const value = await work(tx);
    worked(value);
    await released;
    return value;
  });
  return {
    /** What `work` returned, once it has run (the transaction still open). */
    ready: Promise.race([done, committed]),
    /** Commits the transaction; resolves once it has committed. */
    commit: () => {
      commit();
      return committed;
    },
  };
}

/** A one-shot signal: `promise` resolves once `resolve()` is called (orders steps across concurrent work). */
export function signal() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A promise's outcome, kept without waiting for it: `settled()` says whether it has finished. */
export function watch<T>(promise: Promise<T>) {
  let state: { done: false } | { done: true; value?: T; error?: unknown } = { done: false };
  const outcome = promise.then(
    (value) => {
      state = { done: true, value };
      return state;
    },
    (error: unknown) => {
      state = { done: true, error };
      return state;
    },
  );
  return { outcome, settled: () => state.done };
}

/**
 * Waits until `count` statements on this database wait for a lock, as the server reports them
 * (pg_stat_activity). Throws if `watched` finishes first: the statement was expected to block.
 */
export async function untilBlocked(
  db: Database,
  count: number,
  watched: { settled: () => boolean }[],
): Promise<void> {
  for (;;) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (rows[0]!.n >= count) return;
    if (watched.some((w) => w.settled())) throw new Error("a statement expected to block has finished");
    await sleep(20);
  }
}
