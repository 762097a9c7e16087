import { describe, expect, it } from "vitest";
import { Busy } from "../src/domain/errors";
import {
  backoffDelay,
  isRetryableConflict,
  type RetryPolicy,
  TryAgain,
  withRetry,
} from "../src/domain/purchase/retry";

/** A database error as node-postgres and PGlite raise it: an Error with a SQLSTATE `code`. */
const sqlError = (code: string, message: string) => Object.assign(new Error(message), { code });

// Texts as AWS documents them ("Concurrency control in Aurora DSQL"); only the SQLSTATE decides.
const DSQL_WRITE_CONFLICT = sqlError(
  "40001",
  "mutation conflicts with another transaction, retry as needed (OC000)",
);
const DSQL_STALE_SCHEMA = sqlError(
  "40001",
  "schema has been updated by another transaction, please retry: (OC001)",
);
const PG_SERIALIZATION = sqlError("40001", "could not serialize access due to concurrent update");
const DEADLOCK = sqlError("40P01", "deadlock detected");

const policy: RetryPolicy = { maxAttempts: 5, deadlineMs: 10_000, baseDelayMs: 10, maxDelayMs: 80 };

/** A fake clock: sleeping advances time, nothing really waits. */
function fakeClock(random = () => 0.5) {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    deps: {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
      random,
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** An attempt that fails with the given errors in turn, then succeeds. */
function failing(...errors: Error[]) {
  const calls: number[] = [];
  const attempt = async (n: number) => {
    calls.push(n);
    const error = errors[n - 1];
    if (error) throw error;
    return `ok after ${n}`;
  };
  return { calls, attempt };
}

describe("retry policy", () => {
  it.each([
    ["DSQL OC000 write conflict", DSQL_WRITE_CONFLICT],
    ["DSQL OC001 stale schema", DSQL_STALE_SCHEMA],
    ["PostgreSQL serialization failure", PG_SERIALIZATION],
    ["deadlock 40P01", DEADLOCK],
  ])("retries the whole transaction after a %s", async (_label, error) => {
    const clock = fakeClock();
    const { calls, attempt } = failing(error, error);
    await expect(withRetry(policy, attempt, clock.deps)).resolves.toBe("ok after 3");
    expect(calls).toEqual([1, 2, 3]);
    expect(clock.sleeps).toHaveLength(2);
  });

  it("classifies only 40001 and 40P01 as retryable conflicts", () => {
    expect(isRetryableConflict(DSQL_WRITE_CONFLICT)).toBe(true);
    expect(isRetryableConflict(DSQL_STALE_SCHEMA)).toBe(true);
    expect(isRetryableConflict(DEADLOCK)).toBe(true);
    expect(isRetryableConflict(sqlError("23505", "duplicate key"))).toBe(false);
    expect(isRetryableConflict(sqlError("23514", "check constraint"))).toBe(false);
    expect(isRetryableConflict(new Error("40001 in a message is not a code"))).toBe(false);
  });

  it.each([
    ["unique violation", sqlError("23505", "duplicate key value violates unique constraint")],
    ["syntax error", sqlError("42601", "syntax error")],
    ["plain error", new Error("boom")],
  ])("does not retry a %s: it is thrown as is after one attempt", async (_label, error) => {
    const clock = fakeClock();
    const { calls, attempt } = failing(error);
    await expect(withRetry(policy, attempt, clock.deps)).rejects.toBe(error);
    expect(calls).toEqual([1]);
  });

  it("answers Busy, never sold out, when attempts run out", async () => {
    const clock = fakeClock();
    const { calls, attempt } = failing(...Array(10).fill(DSQL_WRITE_CONFLICT));
    await expect(withRetry(policy, attempt, clock.deps)).rejects.toBeInstanceOf(Busy);
    expect(calls).toEqual([1, 2, 3, 4, 5]);
  });

  it("answers Busy when the next backoff would pass the deadline", async () => {
    const clock = fakeClock(() => 0.999);
    const tight: RetryPolicy = { maxAttempts: 100, deadlineMs: 50, baseDelayMs: 10, maxDelayMs: 1000 };
    const { calls, attempt } = failing(...Array(100).fill(PG_SERIALIZATION));
    await expect(withRetry(tight, attempt, clock.deps)).rejects.toBeInstanceOf(Busy);
    // Waits of ~10 and ~20 fit in 50 ms; the third (~40) would end past it, so no third retry starts.
    expect(calls).toEqual([1, 2, 3]);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(50);
  });

  it("counts time spent inside attempts against the deadline", async () => {
    const clock = fakeClock();
    const slow = async (n: number) => {
      clock.advance(40);
      throw n > 0 ? DSQL_WRITE_CONFLICT : new Error("unreachable");
    };
    const tight: RetryPolicy = { maxAttempts: 100, deadlineMs: 100, baseDelayMs: 1, maxDelayMs: 1 };
    await expect(withRetry(tight, slow, clock.deps)).rejects.toBeInstanceOf(Busy);
    expect(clock.deps.now()).toBeLessThan(140);
  });

  it("uses exponential backoff with full jitter, capped", () => {
    expect(backoffDelay(policy, 0, () => 0.999)).toBeCloseTo(9.99);
    expect(backoffDelay(policy, 2, () => 0.999)).toBeCloseTo(39.96);
    expect(backoffDelay(policy, 10, () => 0.999)).toBeCloseTo(79.92);
    expect(backoffDelay(policy, 3, () => 0)).toBe(0);
    const delays = Array.from({ length: 200 }, () => backoffDelay(policy, 3, Math.random));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(80);
    expect(new Set(delays.map((d) => Math.round(d))).size).toBeGreaterThan(10);
  });

  it("retries TryAgain at once, without sleeping, within the attempt budget", async () => {
    const clock = fakeClock();
    const { calls, attempt } = failing(new TryAgain("bucket emptied"), new TryAgain("bucket emptied"));
    await expect(withRetry(policy, attempt, clock.deps)).resolves.toBe("ok after 3");
    expect(calls).toEqual([1, 2, 3]);
    expect(clock.sleeps).toEqual([]);
  });
});
