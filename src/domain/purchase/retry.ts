import { sqlState } from "../../db/database";
import { Busy } from "../errors";

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  /** No new attempt starts once this much time has passed since the first. */
  deadlineMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Told about every error that is about to be retried (for metrics); must be cheap and never throw. */
  onRetry?: (error: unknown) => void;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 12,
  deadlineMs: 3000,
  baseDelayMs: 2,
  maxDelayMs: 200,
};

/** Thrown by an attempt to ask for another one at once (e.g. the chosen stock bucket was emptied meanwhile). */
export class TryAgain extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "TryAgain";
  }
}

/**
 * Serialization failures (40001: DSQL's OC000 write conflict and OC001 stale schema alike, and
 * PostgreSQL's "could not serialize access") and deadlocks (40P01) mean the whole transaction can run again.
 */
export function isRetryableConflict(error: unknown): boolean {
  const state = sqlState(error);
  return state === "40001" || state === "40P01";
}

export interface RetryDeps {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

const realDeps: RetryDeps = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** Exponential backoff with full jitter: a random wait in [0, min(max, base * 2^n)). */
export function backoffDelay(policy: RetryPolicy, retryNumber: number, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryNumber);
  return random() * ceiling;
}

/**
 * Runs `attempt` until it returns, retrying conflicts with backoff and `TryAgain` at once. When attempts or
 * the deadline run out the answer is `Busy` — contention is never turned into "sold out".
 * @example await withRetry(defaultRetryPolicy, (n) => tryPurchase(n))
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  attempt: (attemptNumber: number) => Promise<T>,
  deps: RetryDeps = realDeps,
): Promise<T> {
  const startedAt = deps.now();
  let conflicts = 0;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const immediate = error instanceof TryAgain;
      if (!immediate && !isRetryableConflict(error)) throw error;
      policy.onRetry?.(error);
      if (n >= policy.maxAttempts) throw new Busy();
      const delay = immediate ? 0 : backoffDelay(policy, conflicts++, deps.random);
      if (deps.now() + delay - startedAt >= policy.deadlineMs) throw new Busy();
      if (delay > 0) await deps.sleep(delay);
    }
  }
}
