/**
 * How checkout takes money: one interface, one implementation per provider. The shop decides "paid" itself
 * (one conditional UPDATE on the database clock, see repository/holds.ts markPaid); a provider only moves
 * money and reports what happened.
 */
import { randomUUID } from "node:crypto";
import { InvalidWebhook } from "./errors";

/** What is being paid for. `orderId` doubles as the provider's idempotency key: one payment per order try. */
export interface PaymentRequest {
  orderId: string;
  amountCents: number;
  currency: string;
  /** Our record of this try (repository/payment-attempts.ts), for a provider that can find a payment by it. */
  attemptId?: string;
}

/** What the reconciler knows of an attempt whose answer may have been lost. */
export interface PaymentLookup extends PaymentRequest {
  attemptId: string;
  /** The payment's id, when the answer was recorded before the fault. */
  paymentRef: string | null;
}

/** A payment as the provider has it now. */
export interface FoundPayment extends PaymentState {
  /** The money was given back (a refund asked for before a crash counts). */
  refunded: boolean;
}

export type PaymentStatus = "succeeded" | "declined" | "requires_action";

export interface PaymentState {
  /** The provider's id for the payment (Stripe: the PaymentIntent id). */
  id: string;
  orderId: string;
  status: PaymentStatus;
}

export interface PaymentProvider {
  readonly name: string;
  /** Creates a payment for the order and tries to confirm it with what the fan entered (e.g. {card}). */
  createPayment(request: PaymentRequest, details: { card: string }): Promise<PaymentState>;
  /** The second step of a payment that required action (the fan approved it). */
  confirmPayment(paymentId: string): Promise<PaymentState>;
  /** The provider's asynchronous notification (a webhook), verified; undefined when it is not about a payment. */
  handleNotification(
    body: string,
    headers: Record<string, string | undefined>,
  ): Promise<PaymentState | undefined>;
  /** Gives the money back in full. Refunding a payment twice refunds it once. */
  refund(paymentId: string): Promise<void>;
  /**
   * The payment an attempt made, as it stands now, without changing it; undefined when the provider never
   * received the attempt. The reconciler asks this after a crash or fault lost the provider's answer.
   */
  findPayment(lookup: PaymentLookup): Promise<FoundPayment | undefined>;
}

/** The test provider's documented card numbers (the same as Stripe's test cards). */
export const TEST_CARDS = {
  succeeds: "4242424242424242",
  declines: "4000000000000002",
  /** Needs a second step (3-D Secure style): the payment waits until the fan confirms it. */
  requiresAction: "4000002500003155",
} as const;

interface TestPayment extends PaymentState {
  amountCents: number;
  refunded: boolean;
  attemptId: string | undefined;
}

/**
 * The built-in provider: no configuration, no network, so the whole checkout runs on `npm start`. Any other
 * card number is declined. It keeps its ledger in memory, which also lets tests check that every captured
 * payment is either an order's payment or refunded.
 */
export class TestPaymentProvider implements PaymentProvider {
  readonly name = "test";
  readonly #payments = new Map<string, TestPayment>();

  async createPayment(request: PaymentRequest, details: { card: string }): Promise<PaymentState> {
    const card = details.card.replace(/[\s-]/g, "");
    const status: PaymentStatus =
      card === TEST_CARDS.succeeds
        ? "succeeded"
        : card === TEST_CARDS.requiresAction
          ? "requires_action"
          : "declined";
    const payment: TestPayment = {
      id: `pay_test_${randomUUID()}`,
      orderId: request.orderId,
      status,
      amountCents: request.amountCents,
      refunded: false,
      attemptId: request.attemptId,
    };
    this.#payments.set(payment.id, payment);
    return stateOf(payment);
  }

  async confirmPayment(paymentId: string): Promise<PaymentState> {
    const payment = this.#payments.get(paymentId);
    if (!payment) return { id: paymentId, orderId: "", status: "declined" };
    if (payment.status === "requires_action") payment.status = "succeeded";
    return stateOf(payment);
  }

  /**
   * The test provider settles synchronously and sends no notifications, so none can carry its signature:
   * every body is refused as unsigned (400 invalid_signature), as with Stripe when the signature fails.
   */
  async handleNotification(): Promise<PaymentState | undefined> {
    throw new InvalidWebhook();
  }

  async refund(paymentId: string): Promise<void> {
    const payment = this.#payments.get(paymentId);
    if (payment) payment.refunded = true;
  }

  async findPayment(lookup: PaymentLookup): Promise<FoundPayment | undefined> {
    const payment = lookup.paymentRef
      ? this.#payments.get(lookup.paymentRef)
      : [...this.#payments.values()].find((p) => p.attemptId === lookup.attemptId);
    return payment && { ...stateOf(payment), refunded: payment.refunded };
  }

  /** Payments that took money and kept it: succeeded and not refunded. */
  captured(): PaymentState[] {
    return [...this.#payments.values()].filter((p) => p.status === "succeeded" && !p.refunded).map(stateOf);
  }

  /** Succeeded payments given back. */
  refunded(): PaymentState[] {
    return [...this.#payments.values()].filter((p) => p.status === "succeeded" && p.refunded).map(stateOf);
  }

  /** Every succeeded payment of these orders, kept or given back: the money side of a rehearsal's audit. */
  ledgerOf(orderIds: ReadonlySet<string>): LedgerEntry[] {
    return [...this.#payments.values()]
      .filter((p) => p.status === "succeeded" && orderIds.has(p.orderId))
      .map((p) => ({ id: p.id, orderId: p.orderId, kept: !p.refunded }));
  }

  /** Drops these orders' payments from the ledger (a rehearsal's, once its receipt is written). */
  forget(orderIds: ReadonlySet<string>): void {
    for (const [id, payment] of this.#payments) if (orderIds.has(payment.orderId)) this.#payments.delete(id);
  }
}

/** One payment that took money: `kept` unless it was refunded. */
export interface LedgerEntry {
  id: string;
  orderId: string;
  kept: boolean;
}

const stateOf = (p: PaymentState): PaymentState => ({ id: p.id, orderId: p.orderId, status: p.status });
