/**
 * The periodic background work of checkout. Every process runs it; running several at once is safe
 * (see repository/checkout/holds.ts sweepExpiredHolds and domain/checkout/payment-reconciler.ts), so no process needs to be
 * elected. Purchases on a hold drop also sweep their own drop first, so a unit comes back even between ticks.
 */
import type { Checkout } from "./checkout";
import type { ReconcileOptions } from "./payment-reconciler";

/** How often each process sweeps: a hold outlives its expiry by at most about this long. */
export const HOLD_SWEEP_MS = 1000;
/** How often each process looks for payment attempts a crash or fault left open. */
export const PAYMENT_RECONCILE_MS = 30_000;

/**
 * Runs `work` every `intervalMs` until stopped (and once at once when `immediately`); a run never overlaps
 * the previous one, and a failed run (the database is away) is reported and tried again next time.
 */
export function startPeriodic(
  work: () => Promise<unknown>,
  intervalMs: number,
  onError: (error: unknown) => void,
  immediately = false,
): { stop: () => void } {
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    work()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  if (immediately) tick();
  return { stop: () => clearInterval(timer) };
}

/**
 * Sweeps expired holds every `intervalMs` until stopped.
 * @example const sweeper = startHoldSweeper(shop.checkout, 1000, log); lifecycle.onDrain(sweeper.stop);
 */
export function startHoldSweeper(
  checkout: Pick<Checkout, "sweep">,
  intervalMs: number,
  onError: (error: unknown) => void,
): { stop: () => void } {
  return startPeriodic(() => checkout.sweep(), intervalMs, onError);
}

/**
 * Settles open payment attempts at start (a crash's leftovers) and every `intervalMs` after.
 * @example const reconciler = startPaymentReconciler(shop.checkout, 30_000, { graceSeconds: 300, holder }, log);
 */
export function startPaymentReconciler(
  checkout: Pick<Checkout, "reconcilePayments">,
  intervalMs: number,
  options: ReconcileOptions,
  onDone: (summary: Awaited<ReturnType<Checkout["reconcilePayments"]>>) => void,
  onError: (error: unknown) => void,
): { stop: () => void } {
  return startPeriodic(
    async () => onDone(await checkout.reconcilePayments(options)),
    intervalMs,
    onError,
    true,
  );
}
