/**
 * When a failed delivery is tried again: the Standard Webhooks schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h)
 * continued with 10 h steps to about three days, each wait spread by ±10 % so a receiver that comes back is
 * not hit by every queued delivery in the same second.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export interface DeliverySchedule {
  /** The wait after the 1st, 2nd, ... failed attempt; once they run out the delivery fails for good. */
  retryDelaysMs: readonly number[];
  /** An endpoint failing for this long is disabled. */
  disableAfterMs: number;
  /** A request without an answer by then is a failed attempt. */
  requestTimeoutMs: number;
  /** How long a process owns a delivery it is sending; longer than a request can take. */
  leaseMs: number;
}

export const defaultSchedule: DeliverySchedule = {
  retryDelaysMs: [
    5 * SECOND,
    5 * MINUTE,
    30 * MINUTE,
    2 * HOUR,
    5 * HOUR,
    10 * HOUR,
    10 * HOUR,
    10 * HOUR,
    10 * HOUR,
    10 * HOUR,
    14 * HOUR,
  ],
  disableAfterMs: 72 * HOUR,
  requestTimeoutMs: 10 * SECOND,
  leaseMs: 60 * SECOND,
};

/** The wait before the next attempt after `failedAttempts` failures, or undefined when there is none. */
export function retryDelay(
  schedule: DeliverySchedule,
  failedAttempts: number,
  random: () => number = Math.random,
): number | undefined {
  const base = schedule.retryDelaysMs[failedAttempts - 1];
  return base === undefined ? undefined : base * (0.9 + 0.2 * random());
}
