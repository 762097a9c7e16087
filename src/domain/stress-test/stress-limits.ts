import type { Backend } from "../../db/database";

/** How much Stress Testing one process and one seller may do. */
export interface StressLimits {
  /** Purchase attempts in one run. */
  maxAttempts: number;
  /** Purchases one run keeps in flight at once. */
  maxConcurrency: number;
  /** Runs this process drives at the same time, all sellers together; one more is refused, not queued. */
  maxRunning: number;
  /** Runs one seller may start in any hour (counted in the database, so across processes). */
  runsPerHour: number;
  /** Attempts one seller may plan in any 24 hours (counted in the database; a cancelled run counts whole). */
  attemptsPerDay: number;
}

/**
 * The embedded PGlite runs every statement of the process one at a time on the server's own thread, so
 * a rehearsal there is held ten times smaller than on PostgreSQL or DSQL, where the database has cores of
 * its own and the rehearsal only gets a bounded share of the pool.
 */
const EMBEDDED: StressLimits = {
  maxAttempts: 20_000,
  maxConcurrency: 200,
  maxRunning: 1,
  runsPerHour: 6,
  attemptsPerDay: 100_000,
};

const SERVER: StressLimits = {
  maxAttempts: 200_000,
  maxConcurrency: 1000,
  maxRunning: 2,
  runsPerHour: 12,
  attemptsPerDay: 1_000_000,
};

/**
 * The limits for a backend, with any configured overrides (STRESS_* in the environment).
 * @example stressLimitsFor("pglite").maxAttempts // 20000
 * @example stressLimitsFor("postgres", { maxRunning: 4 }).maxRunning // 4
 */
export function stressLimitsFor(backend: Backend, overrides: Partial<StressLimits> = {}): StressLimits {
  const defaults = backend === "pglite" ? EMBEDDED : SERVER;
  const chosen = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return { ...defaults, ...chosen };
}
