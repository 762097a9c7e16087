/**
 * Money never stranded (issue 15 §4): every payment attempt is recorded before the provider is called
 * (repository/checkout/payment-attempts.ts); this settles each attempt a crash or a fault left open. It asks the
 * provider what became of the attempt and then, like a payment made in the request (checkout's settle):
 * keeps it for its order if the hold still stands (one conditional UPDATE, so held + paid <= N holds), or
 * refunds it. Several processes may run it at once: each attempt is leased by a conditional UPDATE first.
 */
import type { Queryable } from "../../db/database";
import * as repo from "../../repository";
import { HoldExpired, OrderNotPayable } from "../errors";
import type { PaymentProvider, PaymentState } from "./payments";

export interface ReconcileOptions {
  /** Attempts younger than this may still be inside their request: left for a later pass. */
  graceSeconds: number;
  /** This process, written on the attempts it settles (what an operator reads). */
  holder: string;
  /** How long one process has an attempt to itself. */
  leaseSeconds?: number;
  /** Attempts looked at per pass. */
  limit?: number;
}

/** What one pass did, by outcome; `waiting` are payments still waiting for the fan's second step. */
export interface ReconcileSummary {
  kept: number;
  refunded: number;
  declined: number;
  abandoned: number;
  waiting: number;
  failed: number;
}

export interface ReconcileDeps {
  db: Queryable;
  retry: <T>(work: () => Promise<T>) => Promise<T>;
  providerFor: (order: { dropId: string }) => Promise<PaymentProvider>;
  /** Keeps the payment for its order or refunds it (throws HoldExpired / OrderNotPayable when refunded). */
  settle: (orderId: string, payment: PaymentState, provider: PaymentProvider) => Promise<unknown>;
}

/**
 * One pass over the open attempts. An attempt that fails (the provider or the database is away) is
 * counted, left open and tried again by a later pass once its lease runs out.
 * @example const summary = await reconcilePayments(deps, { graceSeconds: 300, holder: "pid-42" });
 */
export async function reconcilePayments(
  deps: ReconcileDeps,
  options: ReconcileOptions,
): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = {
    kept: 0,
    refunded: 0,
    declined: 0,
    abandoned: 0,
    waiting: 0,
    failed: 0,
  };
  const by = `reconciler ${options.holder}`;
  const attempts = await deps.retry(() =>
    repo.listOpenPaymentAttempts(deps.db, options.graceSeconds, options.limit ?? 100),
  );
  for (const attempt of attempts) {
    try {
      if (!(await repo.leasePaymentAttempt(deps.db, attempt.id, options.leaseSeconds ?? 60, by))) continue;
      summary[await settleOne(deps, attempt, by)]++;
    } catch {
      // Another process took the lease meanwhile (DSQL: 40001), or the provider or database is away.
      summary.failed++;
    }
  }
  return summary;
}

async function settleOne(
  deps: ReconcileDeps,
  attempt: repo.PaymentAttempt,
  by: string,
): Promise<Exclude<keyof ReconcileSummary, "failed">> {
  const provider = await deps.providerFor(attempt);
  const payment = await provider.findPayment({
    orderId: attempt.orderId,
    amountCents: attempt.amountCents,
    currency: attempt.currency,
    attemptId: attempt.id,
    paymentRef: attempt.paymentRef,
  });
  // A payment of another order (a forged second step) is never applied to this one.
  const ours = payment?.orderId === attempt.orderId ? payment : undefined;
  const close = (state: repo.SettledState) =>
    repo.settlePaymentAttempt(deps.db, attempt.id, state, by, ours?.id);
  if (!payment || !ours) {
    await close("abandoned");
    return "abandoned";
  }
  if (payment.status === "declined") {
    await close("declined");
    return "declined";
  }
  if (payment.status === "requires_action") {
    await repo.recordPaymentAnswer(deps.db, attempt.id, { paymentRef: payment.id, state: payment.status });
    return "waiting";
  }
  if (payment.refunded) {
    await close("refunded");
    return "refunded";
  }
  const outcome = await deps.settle(attempt.orderId, payment, provider).then(
    () => "kept" as const,
    (error: unknown) => {
      if (error instanceof HoldExpired || error instanceof OrderNotPayable) return "refunded" as const;
      throw error;
    },
  );
  await close(outcome);
  return outcome;
}
