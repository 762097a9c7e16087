import { describe, expect, it } from "vitest";
import { Busy } from "../src/domain/errors";
import { defaultRetryPolicy, type RetryDeps, TryAgain, withRetry } from "../src/domain/purchase/retry";

/**
 * Issue 21 §3: what retry.test.ts (a fake clock throughout) left to chance, found by mutation testing.
 * The production budget and the real clock and sleep are what a live purchase uses.
 */
const conflict = () => Object.assign(new Error("could not serialize access"), { code: "40001" });

/** An attempt that always conflicts, counting its calls (one error, so that an attempt costs next to nothing). */
function alwaysConflicting() {
  const counter = { calls: 0 };
  const error = conflict();
  return {
    counter,
    attempt: async () => {
      counter.calls++;
      throw error;
    },
  };
}

/** A clock that moves only when the retry sleeps. */
const fakeDeps = (): RetryDeps => {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    random: () => 0.5,
  };
};

describe("the retry budget as production runs it", () => {
  it("the default policy is finite: endless conflicts end in Busy after its 12 attempts", async () => {
    const deps = fakeDeps();
    const { counter, attempt } = alwaysConflicting();
    // A budget that never runs out is stopped here (an error no retry takes) rather than spinning forever.
    const bounded = () =>
      counter.calls >= 100 ? Promise.reject(new Error("the budget never ran out")) : attempt();
    await expect(withRetry(defaultRetryPolicy, bounded, deps)).rejects.toBeInstanceOf(Busy);
    expect(counter.calls).toBe(12);
  });

  it("on the real clock the deadline ends the retries, and each retry waits for its backoff", async () => {
    // 5,000 attempts are allowed but the deadline is 100 ms, and every retry really waits (at least a
    // timer tick, up to 20 ms): at most about a hundred attempts fit. Without the clock (no deadline) all
    // 5,000 run; without the wait, attempts run back to back for the whole 100 ms, in the thousands. A slow
    // machine only makes the count smaller.
    const policy = { maxAttempts: 5000, deadlineMs: 100, baseDelayMs: 20, maxDelayMs: 20 };
    const { counter, attempt } = alwaysConflicting();
    await expect(withRetry(policy, attempt)).rejects.toBeInstanceOf(Busy);
    expect(counter.calls).toBeGreaterThan(1);
    expect(counter.calls).toBeLessThan(300);
  });

  it("no attempt starts at the deadline itself: a retry that would begin exactly then is not made", async () => {
    // Every wait is 10 ms (half of 20): retries start at 10, 20 and 30 ms; the next would start at 40 ms,
    // the deadline, and is answered Busy instead.
    const policy = { maxAttempts: 100, deadlineMs: 40, baseDelayMs: 20, maxDelayMs: 20 };
    const { counter, attempt } = alwaysConflicting();
    await expect(withRetry(policy, attempt, fakeDeps())).rejects.toBeInstanceOf(Busy);
    expect(counter.calls).toBe(4);
  });

  it("TryAgain says what it is in logs", () => {
    const error = new TryAgain("bucket emptied meanwhile");
    expect(String(error)).toBe("TryAgain: bucket emptied meanwhile");
  });
});
