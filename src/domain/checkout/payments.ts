/**
 * How checkout takes money: one interface, one implementation per provider. The shop decides "paid" itself
 * (one conditional UPDATE on the database clock, see repository/checkout/holds.ts markPaid); a provider only moves
 * money and reports what happened.
 */
import { randomUUID } from "node:crypto";
import { InvalidWebhook } from "../errors";

/** What is being paid for. `orderId` doubles as the provider's idempotency key: one payment per order try. */
export interface PaymentRequest {
  orderId: string;
  amountCents: number;
  currency: string;
  /** Our record of this try (repository/checkout/payment-attempts.ts), for a provider that can find a payment by it. */
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
 * How much of the test provider's ledger stays in memory. A declined payment is not kept at all (nothing
 * can be confirmed or refunded on it); payments waiting for their second step and payments that took
 * money are kept up to these counts, the oldest forgotten first. ~175,000 declined attempts on one hold
 * once grew the ledger until Node ran out of heap (issue 15 §2); now no flood of attempts grows it past
 * these bounds (~200 bytes an entry: ~30 MB at most).
 */
export const TEST_LEDGER_LIMITS = {
  /** Payments waiting for the fan's second step; a forgotten one is declined when confirmed (no money moved). */
  pending: 10_000,
  /** Payments that took money, kept or refunded: what audits and refunds look up. */
  settled: 100_000,
};

/**
 * The built-in provider: no configuration, no network, so the whole checkout runs on `npm start`. Any other
 * card number is declined. It keeps its ledger in memory, within TEST_LEDGER_LIMITS, which also lets tests
 * check that every captured payment is either an order's payment or refunded.
 */
export class TestPaymentProvider implements PaymentProvider {
  readonly name = "test";
  /** Insertion-ordered, so the first entry is the oldest: forgetting it is a bounded FIFO. */
  readonly #pending = new Map<string, TestPayment>();
  readonly #settled = new Map<string, TestPayment>();

  constructor(private readonly limits: typeof TEST_LEDGER_LIMITS = TEST_LEDGER_LIMITS) {}

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
    if (status === "succeeded") keep(this.#settled, payment, this.limits.settled);
    if (status === "requires_action") keep(this.#pending, payment, this.limits.pending);
    return stateOf(payment);
  }

  async confirmPayment(paymentId: string): Promise<PaymentState> {
    const settled = this.#settled.get(paymentId);
    if (settled) return stateOf(settled);
    const payment = this.#pending.get(paymentId);
    if (!payment) return { id: paymentId, orderId: "", status: "declined" };
    this.#pending.delete(paymentId);
    payment.status = "succeeded";
    keep(this.#settled, payment, this.limits.settled);
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
    const payment = this.#settled.get(paymentId);
    if (payment) payment.refunded = true;
  }

  /**
   * What became of a payment, by its id or by the attempt that made it (the reconciler's question). A
   * declined payment is not kept, so it is not found: no money moved on it.
   */
  async findPayment(lookup: PaymentLookup): Promise<FoundPayment | undefined> {
    const { paymentRef, attemptId } = lookup;
    const payment = paymentRef
      ? (this.#settled.get(paymentRef) ?? this.#pending.get(paymentRef))
      : [...this.#settled.values(), ...this.#pending.values()].find((p) => p.attemptId === attemptId);
    return payment && { ...stateOf(payment), refunded: payment.refunded };
  }

  /** Payments that took money and kept it: succeeded and not refunded. */
  captured(): PaymentState[] {
    return [...this.#settled.values()].filter((p) => !p.refunded).map(stateOf);
  }

  /** Succeeded payments given back. */
  refunded(): PaymentState[] {
    return [...this.#settled.values()].filter((p) => p.refunded).map(stateOf);
  }

  /** Every succeeded payment of these orders, kept or given back: the money side of a rehearsal's audit. */
  ledgerOf(orderIds: ReadonlySet<string>): LedgerEntry[] {
    return [...this.#settled.values()]
      .filter((p) => orderIds.has(p.orderId))
      .map((p) => ({ id: p.id, orderId: p.orderId, kept: !p.refunded }));
  }

  /** Drops these orders' payments from the ledger (a rehearsal's, once its receipt is written). */
  forget(orderIds: ReadonlySet<string>): void {
    for (const ledger of [this.#pending, this.#settled]) {
      for (const [id, payment] of ledger) if (orderIds.has(payment.orderId)) ledger.delete(id);
    }
  }

  /** Payments held in memory right now (waiting and settled). */
  get size(): number {
    return this.#pending.size + this.#settled.size;
  }
}

/** Adds `payment` to `ledger`, forgetting the oldest entries beyond `limit`. */
function keep(ledger: Map<string, TestPayment>, payment: TestPayment, limit: number): void {
  ledger.set(payment.id, payment);
  for (const oldest of ledger.keys()) {
    if (ledger.size <= limit) break;
    ledger.delete(oldest);
  }
}

/** One payment that took money: `kept` unless it was refunded. */
export interface LedgerEntry {
  id: string;
  orderId: string;
  kept: boolean;
}

const stateOf = (p: PaymentState): PaymentState => ({ id: p.id, orderId: p.orderId, status: p.status });
