/**
 * The Stripe provider (STRIPE_SECRET_KEY + STRIPE_WEBHOOK_SECRET): one PaymentIntent per order, created
 * with the order id as Stripe's idempotency key (a retried create returns the same intent, never a second
 * charge), confirmed with the fan's payment method; the payment_intent.succeeded / payment_failed webhooks
 * are verified by signature (stripe.webhooks.constructEvent) and applied through the same conditional
 * "paid" UPDATE as a payment made in the request, so a repeated webhook changes nothing.
 * Docs: https://docs.stripe.com/api/payment_intents, https://docs.stripe.com/webhooks#verify-events,
 * https://docs.stripe.com/api/idempotent_requests.
 */
import Stripe from "stripe";
import { InvalidWebhook } from "../errors";
import {
  type FoundPayment,
  type PaymentLookup,
  type PaymentProvider,
  type PaymentRequest,
  type PaymentState,
  TEST_CARDS,
} from "./payments";

export interface StripeOptions {
  secretKey: string;
  webhookSecret: string;
  /** Where the Stripe API is (tests point these at a local server); api.stripe.com over https otherwise. */
  host?: string;
  port?: number;
  protocol?: "http" | "https";
}

/**
 * The card field carries a PaymentMethod id (pm_..., from Stripe Elements on a real page) or one of the
 * documented test numbers, which stand for Stripe's own test payment methods in test mode.
 */
export function paymentMethodFor(card: string): string {
  const digits = card.replace(/[\s-]/g, "");
  if (digits === TEST_CARDS.succeeds) return "pm_card_visa";
  if (digits === TEST_CARDS.requiresAction) return "pm_card_authenticationRequired";
  if (digits === TEST_CARDS.declines) return "pm_card_chargeDeclined";
  return card;
}

const stateOf = (intent: Stripe.PaymentIntent): PaymentState => ({
  id: intent.id,
  orderId: intent.metadata.order_id ?? "",
  status:
    intent.status === "succeeded"
      ? "succeeded"
      : intent.status === "requires_action" || intent.status === "processing"
        ? "requires_action"
        : "declined",
});

export class StripePaymentProvider implements PaymentProvider {
  readonly name = "stripe";
  readonly #stripe: Stripe;
  readonly #webhookSecret: string;

  constructor(options: StripeOptions) {
    this.#stripe = new Stripe(options.secretKey, {
      ...(options.host ? { host: options.host } : {}),
      ...(options.port ? { port: options.port } : {}),
      ...(options.protocol ? { protocol: options.protocol } : {}),
      maxNetworkRetries: 2,
    });
    this.#webhookSecret = options.webhookSecret;
  }

  /**
   * The order's one PaymentIntent: created once, and the same intent again for any later call within
   * Stripe's 24 hours of idempotency (the parameters must match, so the attempt id is not sent).
   */
  #intentOf(request: PaymentRequest): Promise<Stripe.PaymentIntent> {
    return this.#stripe.paymentIntents.create(
      {
        amount: request.amountCents,
        currency: request.currency.toLowerCase(),
        metadata: { order_id: request.orderId },
      },
      { idempotencyKey: request.orderId },
    );
  }

  async createPayment(request: PaymentRequest, details: { card: string }): Promise<PaymentState> {
    const intent = await this.#intentOf(request);
    if (intent.status === "succeeded") return stateOf(intent);
    try {
      return stateOf(
        await this.#stripe.paymentIntents.confirm(intent.id, {
          payment_method: paymentMethodFor(details.card),
        }),
      );
    } catch (error) {
      // A declined card leaves the intent waiting for another payment method: the fan may try again.
      if (error instanceof Stripe.errors.StripeCardError) return { ...stateOf(intent), status: "declined" };
      throw error;
    }
  }

  async confirmPayment(paymentId: string): Promise<PaymentState> {
    return stateOf(await this.#stripe.paymentIntents.retrieve(paymentId));
  }

  async handleNotification(
    body: string,
    headers: Record<string, string | undefined>,
  ): Promise<PaymentState | undefined> {
    let event: Stripe.Event;
    try {
      event = this.#stripe.webhooks.constructEvent(
        body,
        headers["stripe-signature"] ?? "",
        this.#webhookSecret,
      );
    } catch {
      throw new InvalidWebhook();
    }
    if (event.type === "payment_intent.succeeded" || event.type === "payment_intent.payment_failed") {
      return stateOf(event.data.object);
    }
    return undefined;
  }

  /**
   * Without the intent's id (the answer was lost), the create is replayed under the order's idempotency key:
   * Stripe answers with the intent it made, or makes an unconfirmed one that takes no money. The intent is
   * then read as it is now, with its latest charge to tell whether it was refunded.
   */
  async findPayment(lookup: PaymentLookup): Promise<FoundPayment | undefined> {
    const id = lookup.paymentRef ?? (await this.#intentOf(lookup)).id;
    const intent = await this.#stripe.paymentIntents.retrieve(id, { expand: ["latest_charge"] });
    const charge = typeof intent.latest_charge === "object" ? intent.latest_charge : null;
    return { ...stateOf(intent), refunded: charge?.refunded === true || (charge?.amount_refunded ?? 0) > 0 };
  }

  async refund(paymentId: string): Promise<void> {
    await this.#stripe.refunds.create(
      { payment_intent: paymentId },
      { idempotencyKey: `refund-${paymentId}` },
    );
  }
}
