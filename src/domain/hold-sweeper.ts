/**
 * The periodic expiry sweep of hold drops (issue 11). Every process runs one; running several at once is
 * safe (see repository/holds.ts sweepExpiredHolds), so no process needs to be elected. Purchases on a hold
 * drop also sweep their own drop first, so a unit comes back even between ticks.
 */
import type { Checkout } from "./checkout";

/** How often each process sweeps: a hold outlives its expiry by at most about this long. */
export const HOLD_SWEEP_MS = 1000;

/**
 * Sweeps every `intervalMs` until stopped; a tick never overlaps the previous one, and a failed tick (the
 * database is away) is reported and tried again next tick.
 * @example const sweeper = startHoldSweeper(shop.checkout, 1000, log); lifecycle.onDrain(sweeper.stop);
 */
export function startHoldSweeper(
  checkout: Pick<Checkout, "sweep">,
  intervalMs: number,
  onError: (error: unknown) => void,
): { stop: () => void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    checkout
      .sweep()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
