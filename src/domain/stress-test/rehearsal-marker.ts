import { randomBytes, timingSafeEqual } from "node:crypto";

/**
 * How this process recognises the Stress Test's own purchases: the load generator sends this header with
 * a secret made fresh when the process starts and never shown to anyone, so only traffic this process
 * generated itself carries it. Marked requests are served in the rehearsal lane (behind live work, with a
 * bounded share of the database) and are exempt from per-client purchase limits meant for real fans.
 *
 * @example
 * if (isRehearsalMarker(c.req.header(REHEARSAL_HEADER))) { ... } // a rate limiter skipping our own load
 */
export const REHEARSAL_HEADER = "x-dropfront-rehearsal";

const SECRET = randomBytes(24).toString("base64url");

/** The headers the Stress Test's load generator sends with every request. */
export function rehearsalHeaders(): Record<string, string> {
  return { [REHEARSAL_HEADER]: SECRET };
}

/** True only for this process's own secret (compared in constant time). */
export function isRehearsalMarker(value: string | undefined): boolean {
  if (value === undefined) return false;
  const given = Buffer.from(value);
  const expected = Buffer.from(SECRET);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Names the run a marked request belongs to, so a cancelled run can wait for its own stragglers. */
export const REHEARSAL_RUN_HEADER = "x-dropfront-rehearsal-run";

const inFlight = new Map<string, number>();

/** Counts a marked request of `runId` as being served until the returned function is called. */
export function trackRehearsalRequest(runId: string): () => void {
  inFlight.set(runId, (inFlight.get(runId) ?? 0) + 1);
  return () => {
    const left = (inFlight.get(runId) ?? 1) - 1;
    if (left > 0) inFlight.set(runId, left);
    else inFlight.delete(runId);
  };
}

/** Marked requests of `runId` this process is still serving (e.g. ones whose client already gave up). */
export function rehearsalRequestsInFlight(runId: string): number {
  return inFlight.get(runId) ?? 0;
}

const cancelledRuns = new Set<string>();

/** The run was cancelled: its requests not yet being served are answered "busy" without any work. */
export function cancelRehearsalRun(runId: string): void {
  cancelledRuns.add(runId);
}

/** Forgets a cancelled run once its requests are all answered. */
export function forgetRehearsalRun(runId: string): void {
  cancelledRuns.delete(runId);
}

export function isRehearsalRunCancelled(runId: string): boolean {
  return cancelledRuns.has(runId);
}
