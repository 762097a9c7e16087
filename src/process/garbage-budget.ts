/**
 * A bound on the garbage the server holds, for the embedded database under Bun (issue 20 §2).
 *
 * JavaScriptCore decides when to collect from the size of its heap *including* the memory it is told
 * objects hold outside it, and PGlite's WebAssembly memory (128 MiB) plus its module come to about 270 MiB
 * of that (`heapStats().extraMemorySize` after opening a data folder). On a machine with 16 GB or more the
 * next collection is allowed at about three times that size (JSC's "aggressive" growth mode), so request
 * garbage piles up to hundreds of MiB before JSC collects it: the same allocation loop peaks at 101 MiB of
 * resident memory alone and at 1,246 MiB after PGlite is opened (BENCHMARKS.md, "Round five: the embedded
 * default's memory"). The budget watches the resident memory instead: when it has grown by more than
 * `budgetBytes` since the last collection, it collects once (a full, synchronous collection that also
 * returns the allocator's free pages). Growth the collection cannot free raises the level it measures from,
 * so a process that truly needs more memory is not collected over and over.
 */
export interface GarbageBudgetOptions {
  /** Growth of resident memory since the last collection that triggers the next one. */
  budgetBytes: number;
  /** The process's resident memory now, in bytes. */
  residentBytes: () => number;
  /** Collects garbage now. */
  collect: () => void;
  /** Milliseconds now (a monotonic clock), to account the time collections take. */
  now?: () => number;
}

export class GarbageBudget {
  #floor: number;
  #collections = 0;
  #collectingMs = 0;

  constructor(private readonly options: GarbageBudgetOptions) {
    this.#floor = options.residentBytes();
  }

  /**
   * One look at the resident memory: collects when it is more than the budget above the level after the
   * last collection (or the lowest level seen since). Returns whether it collected.
   * @example new GarbageBudget({ budgetBytes: 16 * 2 ** 20, residentBytes: process.memoryUsage.rss, collect: () => Bun.gc(true) }).check()
   */
  check(): boolean {
    const resident = this.options.residentBytes();
    if (resident - this.#floor <= this.options.budgetBytes) {
      if (resident < this.#floor) this.#floor = resident;
      return false;
    }
    const now = this.options.now ?? (() => performance.now());
    const started = now();
    this.options.collect();
    this.#collectingMs += now() - started;
    this.#collections += 1;
    this.#floor = this.options.residentBytes();
    return true;
  }

  /** Collections made so far and the time they took on this thread. */
  stats(): { collections: number; collectingMs: number } {
    return { collections: this.#collections, collectingMs: Math.round(this.#collectingMs) };
  }
}

/**
 * How often the budget looks: reading the resident memory costs a few microseconds. At 7,000 attempts a
 * second the server makes about 18 MB of garbage in 100 ms, more than the budget: a 1M-attempt run checked
 * every 100 ms peaked at 262 MiB, every 25 ms at 235 MiB (BENCHMARKS.md, round five).
 */
export const GARBAGE_BUDGET_CHECK_MS = 25;

interface BunGc {
  gc(force: boolean): void;
}

/**
 * Starts the budget on Bun (a no-op elsewhere: V8 sizes its heap without the WebAssembly memory and
 * `npm run start:node` caps it). Its timer never keeps the process alive.
 * @example const budget = startGarbageBudget(8 * 2 ** 20); budget?.stop();
 */
export function startGarbageBudget(
  budgetBytes: number,
): { budget: GarbageBudget; stop: () => void } | undefined {
  const bun = (globalThis as { Bun?: BunGc }).Bun;
  if (!bun || budgetBytes <= 0) return undefined;
  const budget = new GarbageBudget({
    budgetBytes,
    residentBytes: () => process.memoryUsage.rss(),
    // true: synchronous, and Bun also hands mimalloc's free pages back (bun.sh/reference/bun/gc).
    collect: () => bun.gc(true),
  });
  const timer = setInterval(() => budget.check(), GARBAGE_BUDGET_CHECK_MS);
  timer.unref();
  return { budget, stop: () => clearInterval(timer) };
}
