/**
 * Checkout on hold drops (issue 11): a win is a held unit with an expiry on the database clock, turned
 * paid through a PaymentProvider, or returned to stock by the fan's release or by the expiry sweep.
 * Instant drops (holdSeconds 0) never come here. The SQL and the reasoning behind held + paid <= N are in
 * repository/checkout/holds.ts.
 */

import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { type Database, violatedConstraint } from "../../db/database";
import * as repo from "../../repository";
import { type Clock, systemClock } from "../clock";
import {
  Cancelled,
  CardDeclined,
  DrawOnly,
  HoldExpired,
  IdempotencyKeyReused,
  LimitReached,
  NotFound,
  NotLive,
  OrderNotPayable,
  OrdersModeChanged,
  Paused,
  SoldOut,
} from "../errors";
import { identityKey } from "../purchase/fan-identity";
import { type RetryPolicy, TryAgain, withRetry } from "../purchase/retry";
import { MAX_VARIANTS, soleVariant, storedUnit, type Variant } from "../purchase/variants";
import type { Drop } from "../types";
import { type ReconcileOptions, reconcilePayments } from "./payment-reconciler";
import type { PaymentProvider, PaymentState } from "./payments";

/**
 * How long this process believes "sold out" for a hold drop without asking the database. Units come back
 * (expiry, release) in any process, so the belief is short; a release or sweep in this process clears it.
 */
export const HOLD_SOLD_OUT_MS = 1000;
/** A hold purchase first sweeps its drop's expired holds (freeing units and fan slots), at most this often. */
const DROP_SWEEP_EVERY_MS = 200;
/**
 * Holds ended per sweep transaction. Each changes four rows (order, history, event, returned unit) and, where
 * a draw or waitlist is waiting, four more as its unit is offered on (fairness/offers.ts): 300 x 8 plus the
 * buckets stays under DSQL's 3,000 changed rows per transaction.
 */
const SWEEP_LIMIT = 300;

export interface HoldResult {
  order: repo.CheckoutOrder;
  replay: boolean;
  /** Shown to the fan once, with the new order; only its hash is stored. */
  orderToken?: string;
}

export interface PayResult {
  order: repo.CheckoutOrder;
  /** A payment waiting for the fan's second step (test card 4000002500003155); the order is still held. */
  pending?: PaymentState;
}

/** What the fan pays with: a card number, or the id of a payment whose second step they approved. */
export type PayInput = { card: string } | { paymentId: string };

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/** Sold-out memory of hold drops is per variant: variant 0 (every drop made without variants) is the id alone. */
const soldOutKey = (dropId: string, position: number) => (position === 0 ? dropId : `${dropId}#${position}`);

export function createCheckout(deps: {
  db: Database;
  retryPolicy: RetryPolicy;
  payments: PaymentProvider;
  /**
   * Pays the orders of Stress Test rehearsal drops: never the shop's real provider, so a rehearsal moves
   * no real money whatever provider the shop is configured with. `payments` when absent.
   */
  rehearsalPayments?: PaymentProvider;
  /** Whether a drop is a rehearsal copy (the shop's cached drop lookup); needed with rehearsalPayments. */
  isRehearsal?: (dropId: string) => Promise<boolean>;
  fingerprint: (dropId: string, fan: string, variantPosition: number) => string;
  /** The process's clock, for its own beliefs (how long "sold out" is believed); holds run on the database's. */
  clock?: Clock;
}) {
  const { db, retryPolicy, payments } = deps;
  const clock = deps.clock ?? systemClock;
  const providerFor = async (order: { dropId: string }): Promise<PaymentProvider> =>
    deps.rehearsalPayments && (await deps.isRehearsal?.(order.dropId)) ? deps.rehearsalPayments : payments;
  const soldOutUntil = new Map<string, number>();
  const sweptAt = new Map<string, number>();
  const retry = <T>(work: () => Promise<T>) => withRetry(retryPolicy, work);

  /** Units came back to stock: this process's sold-out belief about their drops ends at once. */
  const reopen = (ended: repo.EndedHold[]) => {
    // Sold-out memory is per variant (key dropId#position); a unit back in any variant reopens them all.
    for (const hold of ended)
      for (let position = 0; position < MAX_VARIANTS; position++)
        soldOutUntil.delete(soldOutKey(hold.dropId, position));
    return ended;
  };

  const isSoldOut = (dropId: string, position = 0) =>
    (soldOutUntil.get(soldOutKey(dropId, position)) ?? 0) > clock();

  async function sweepDrop(dropId: string): Promise<void> {
    const now = clock();
    if ((sweptAt.get(dropId) ?? 0) > now - DROP_SWEEP_EVERY_MS) return;
    if (sweptAt.size > 10_000) sweptAt.clear();
    sweptAt.set(dropId, now);
    reopen(await retry(() => repo.sweepExpiredHolds(db, SWEEP_LIMIT, dropId)));
  }

  /** The order, if `token` is its token; anything else is "not found", so ids cannot be probed. */
  async function ownOrder(orderId: string, token: string): Promise<repo.CheckoutOrder> {
    const order = await repo.findCheckoutOrder(db, orderId);
    const given = Buffer.from(hashToken(token));
    if (!order?.tokenHash || !timingSafeEqual(Buffer.from(order.tokenHash), given))
      throw new NotFound("order");
    return order;
  }

  /**
   * A successful payment becomes the order's only if the hold is still held and unexpired (markPaid);
   * otherwise the money goes back and the fan is told. Applying the same payment twice changes nothing.
   */
  async function settle(
    orderId: string,
    payment: PaymentState,
    provider: PaymentProvider = payments,
  ): Promise<repo.CheckoutOrder> {
    let paid: repo.CheckoutOrder | undefined;
    try {
      paid = await retry(() => repo.markPaid(db, orderId, payment.id));
    } catch (error) {
      // The money is taken but the order may not be paid (the retry budget ran out, the database was
      // away, or the commit's answer was lost): look, and give the money back unless it paid the order.
      // Found by the Stress Test's checkout mode: such payments were kept for holds that then expired.
      const now = await repo.findCheckoutOrder(db, orderId);
      if (now?.status === "paid" && now.paymentRef === payment.id) return now;
      await provider.refund(payment.id);
      throw error;
    }
    if (paid) return paid;
    const now = await repo.findCheckoutOrder(db, orderId);
    if (now?.status === "paid" && now.paymentRef === payment.id) return now;
    await provider.refund(payment.id);
    if (now?.status === "paid") throw new OrderNotPayable("paid");
    const refunded = await retry(() => repo.recordRefund(db, orderId, payment.id));
    if (refunded) reopen([{ orderId, dropId: refunded.dropId, unitNo: refunded.unitNo }]);
    throw new HoldExpired(true);
  }

  /**
   * settle, and the attempt's record says how the money ended. A fault that leaves it unknown leaves the
   * attempt open for the reconciler, which asks the provider and settles it.
   */
  async function settleAttempt(
    attemptId: string,
    orderId: string,
    payment: PaymentState,
    provider: PaymentProvider,
    by: string,
  ): Promise<repo.CheckoutOrder> {
    // The record is written after the money is settled: if writing it fails, the reconciler finds the
    // settled payment (kept by its order, or refunded) and only closes the record.
    const record = (state: repo.SettledState) =>
      repo.settlePaymentAttempt(db, attemptId, state, by, payment.id).catch(() => undefined);
    try {
      const order = await settle(orderId, payment, provider);
      await record("kept");
      return order;
    } catch (error) {
      if (error instanceof HoldExpired || error instanceof OrderNotPayable) await record("refunded");
      throw error;
    }
  }

  /**
   * Pays a held order with the fan's card, or confirms a payment's second step (`paymentId`). Refuses an
   * order that is not held; a payment that lands after the hold ended is refunded (HoldExpired(true)).
   * The attempt is recorded before the provider is called (issue 15 §4): whatever happens after that, the
   * reconciler can find the money.
   */
  async function payOrder(order: repo.CheckoutOrder, input: PayInput): Promise<PayResult> {
    const orderId = order.id;
    // A new card payment is not even started for an ended hold. A second step is the provider finishing a
    // payment already under way: it may take the money whatever our hold says, so it always goes to
    // settle, which keeps it or refunds it.
    if ("card" in input && order.status === "expired") throw new HoldExpired();
    if ("card" in input && order.status !== "held") throw new OrderNotPayable(order.status);
    const provider = await providerFor(order);
    const request = { orderId, amountCents: order.priceCents, currency: order.currency };
    const attempt = await retry(() =>
      repo.startPaymentAttempt(db, {
        ...request,
        dropId: order.dropId,
        provider: provider.name,
        ...("paymentId" in input ? { paymentRef: input.paymentId } : {}),
      }),
    );
    const payment =
      "card" in input
        ? await provider.createPayment({ ...request, attemptId: attempt.id }, { card: input.card })
        : await provider.confirmPayment(input.paymentId);
    if ("paymentId" in input && payment.orderId !== orderId) {
      await repo.settlePaymentAttempt(db, attempt.id, "abandoned", "request");
      throw new NotFound("payment");
    }
    // A payment that took money goes straight to settle, whose record names it: one write less on the fan's
    // way, and an attempt left open meanwhile is found by the reconciler through the provider anyway.
    if (payment.status !== "succeeded") {
      await retry(() =>
        repo.recordPaymentAnswer(db, attempt.id, { paymentRef: payment.id, state: payment.status }),
      );
    }
    if (payment.status === "declined") throw new CardDeclined();
    if (payment.status === "requires_action") return { order, pending: payment };
    return { order: await settleAttempt(attempt.id, orderId, payment, provider, "request") };
  }

  /** The unit goes back to stock at once, if the order is still held; the order as it is afterwards. */
  async function releaseOrder(order: repo.CheckoutOrder): Promise<repo.CheckoutOrder> {
    if (order.status !== "held") return order;
    reopen(await retry(() => repo.releaseHold(db, order.id)));
    return (await repo.findCheckoutOrder(db, order.id)) ?? order;
  }

  return {
    isSoldOut,

    /** Claims a unit as held for the fan, or throws the same refusals as an instant purchase. */
    async purchase(
      drop: Drop,
      request: { fan: string; idempotencyKey?: string | undefined },
      variant: Variant = soleVariant(drop),
    ): Promise<HoldResult> {
      const key = request.idempotencyKey ?? randomBytes(16).toString("hex");
      const fingerprint = deps.fingerprint(drop.id, request.fan, variant.position);
      const soldOut = () => (drop.variantCount ? new SoldOut(variant.name) : new SoldOut());
      if (isSoldOut(drop.id, variant.position) && request.idempotencyKey === undefined) throw soldOut();
      await sweepDrop(drop.id);
      const orderToken = randomBytes(24).toString("base64url");
      return withRetry(retryPolicy, async (attemptNumber) => {
        let outcome: repo.HoldOutcome;
        try {
          outcome = await repo.claimHold(db, {
            dropId: drop.id,
            fan: identityKey(request.fan),
            fanShown: request.fan,
            idempotencyKey: key,
            fingerprint,
            tokenHash: hashToken(orderToken),
            attemptNumber,
            startBucket: randomInt(drop.bucketCount),
            startUnit: storedUnit(variant.position, randomInt(1, variant.quantity + 1)),
            variant: variant.position,
            variantPriceCents: variant.priceCents,
            variantsRevision: drop.variantsRevision ?? 0,
          });
        } catch (error) {
          const constraint = violatedConstraint(error);
          // Two copies of one request, or one fan buying twice at once, raced: look again.
          if (constraint === "orders_idempotency_key" || constraint === "orders_fan_slot_key")
            throw new TryAgain(constraint);
          throw error;
        }
        switch (outcome.kind) {
          case "no_drop":
            throw new NotFound("drop");
          case "placed":
            return { order: outcome.order, replay: false, orderToken };
          case "existing":
            if (outcome.fingerprint !== fingerprint) throw new IdempotencyKeyReused();
            return { order: outcome.order, replay: true };
          case "raced":
            throw new TryAgain("unit taken meanwhile");
        }
        // The drop sells instantly, or its sizes changed, since this process cached it: read it again.
        if (outcome.isInstant || outcome.sizesChanged) throw new OrdersModeChanged();
        if (outcome.isCancelled) throw new Cancelled();
        if (outcome.isDraw) throw new DrawOnly();
        if (outcome.isPaused && outcome.hadStock) throw new Paused();
        if (!outcome.isLive) throw new NotLive(outcome.startsAt);
        if (!outcome.hadStock) {
          if (soldOutUntil.size > 10_000) soldOutUntil.clear();
          soldOutUntil.set(soldOutKey(drop.id, variant.position), clock() + HOLD_SOLD_OUT_MS);
          throw soldOut();
        }
        throw new LimitReached(outcome.maxPerFan);
      });
    },

    order: ownOrder,

    /** An order found by a caller that checked the fan's key itself (the fan page's receipt code). */
    async findOrder(orderId: string): Promise<repo.CheckoutOrder> {
      const order = await repo.findCheckoutOrder(db, orderId);
      if (!order) throw new NotFound("order");
      return order;
    },

    /** The fan gives the unit back before paying: it is in stock again at once. */
    async release(orderId: string, token: string): Promise<repo.CheckoutOrder> {
      return releaseOrder(await ownOrder(orderId, token));
    },
    releaseOrder,

    /** Pays a held order with the order token (see payOrder). */
    async pay(orderId: string, token: string, input: PayInput): Promise<PayResult> {
      return payOrder(await ownOrder(orderId, token), input);
    },
    payOrder,

    /** The provider's asynchronous notification (a webhook): applied like a payment made here, idempotently. */
    async notify(body: string, headers: Record<string, string | undefined>): Promise<void> {
      const payment = await payments.handleNotification(body, headers);
      if (payment?.status !== "succeeded") return;
      const kept = await settle(payment.orderId, payment).then(
        () => true,
        (error: unknown) => {
          // The fan learns of a late payment's refund from their order; the provider only needs a 2xx.
          if (!(error instanceof HoldExpired || error instanceof OrderNotPayable)) throw error;
          return false;
        },
      );
      await repo.settleAttemptsOfPayment(
        db,
        payment.orderId,
        payment.id,
        kept ? "kept" : "refunded",
        "webhook",
      );
    },

    /** Settles the payment attempts left open by a crash or a fault (payment-reconciler.ts). Run periodically. */
    reconcilePayments: (options: ReconcileOptions) =>
      reconcilePayments({ db, retry, providerFor, settle }, options),

    /** Ends every expired hold (all drops), batch by batch; returns how many. Run periodically. */
    async sweep(): Promise<number> {
      let total = 0;
      for (;;) {
        const ended = reopen(await retry(() => repo.sweepExpiredHolds(db, SWEEP_LIMIT)));
        total += ended.length;
        if (ended.length < SWEEP_LIMIT) return total;
      }
    },
  };
}

export type Checkout = ReturnType<typeof createCheckout>;
