import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { StripePaymentProvider } from "../src/domain/checkout/stripe-payments";
import { openTestDatabase } from "./support/databases";
import { fakeStripe, type Intent } from "./support/fake-stripe";
import { createSeller, json } from "./support/shop-fixtures";

/**
 * The Stripe adapter against a local server answering the few endpoints it uses (no network): create and
 * confirm a PaymentIntent, retrieve it, refund it. Webhooks are signed with generateTestHeaderString.
 */
const WEBHOOK_SECRET = "whsec_test_checkout";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  order: { status: string };
  payment: { id: string; status: string };
  error?: { code: string };
}

describe("Stripe adapter", () => {
  const stripe = fakeStripe();
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;
  const signer = new Stripe("sk_test_signer");

  beforeAll(async () => {
    const { port } = new URL(await stripe.listen());
    const payments = new StripePaymentProvider({
      secretKey: "sk_test_local",
      webhookSecret: WEBHOOK_SECRET,
      host: "127.0.0.1",
      port: Number(port),
      protocol: "http",
    });
    db = await openTestDatabase("pglite");
    app = createApp({ db, payments });
    ({ apiKey } = await createSeller(app));
  });
  afterAll(async () => {
    await db?.close();
    await stripe.close();
  });

  const holdDrop = async (holdSeconds: number) =>
    app.shop.createDrop(await app.shop.sellerByApiKey(apiKey), {
      title: "Stripe tee",
      description: "",
      priceCents: 4200,
      currency: "EUR",
      quantity: 3,
      maxPerFan: 1,
      holdSeconds,
    });
  const win = async (dropId: string, fan: string) => {
    const res = await app.request(`/api/drops/${dropId}/purchase`, json({ fan }));
    return (await res.json()) as { order: { id: string }; orderToken: string };
  };
  const pay = async (order: { order: { id: string }; orderToken: string }, body: unknown) => {
    const res = await app.request(
      `/api/orders/${order.order.id}/pay`,
      json(body, { authorization: `Bearer ${order.orderToken}` }),
    );
    return { status: res.status, body: (await res.json()) as Answer };
  };
  const webhook = async (type: string, intent: Intent, secret = WEBHOOK_SECRET) => {
    const payload = JSON.stringify({
      id: `evt_${intent.id}_${type}`,
      object: "event",
      type,
      data: { object: intent },
    });
    const header = signer.webhooks.generateTestHeaderString({ payload, secret });
    const res = await app.request("/api/payments/webhook", {
      method: "POST",
      headers: { "stripe-signature": header, "content-type": "application/json" },
      body: payload,
    });
    return { status: res.status, body: (await res.json()) as Answer };
  };
  const statusOf = async (order: { order: { id: string }; orderToken: string }) => {
    const res = await app.request(`/api/orders/${order.order.id}`, {
      headers: { authorization: `Bearer ${order.orderToken}` },
    });
    return ((await res.json()) as { order: { status: string } }).order.status;
  };

  it("pays with a PaymentIntent keyed by the order id; a declined card keeps the hold for another try", async () => {
    const drop = await holdDrop(600);
    const held = await win(drop.id, "stripe-fan@fans.test");
    const declined = await pay(held, { card: "4000000000000002" });
    expect(declined).toMatchObject({ status: 402, body: { error: { code: "card_declined" } } });
    expect(await statusOf(held)).toBe("held");
    const paid = await pay(held, { card: "4242424242424242" });
    expect(paid).toMatchObject({ status: 200, body: { order: { status: "paid" } } });

    const creates = stripe.requests.filter((r) => r.path === "/v1/payment_intents");
    expect(creates.map((r) => r.idempotencyKey)).toEqual([held.order.id, held.order.id]);
    expect(creates[0]!.form.get("amount")).toBe("4200");
    expect(creates[0]!.form.get("currency")).toBe("eur");
    // One intent for the order, confirmed twice (declined, then paid).
    expect([...stripe.intents.values()].filter((i) => i.metadata.order_id === held.order.id)).toHaveLength(1);
  });

  it("applies payment_intent.succeeded once, however often it arrives; refuses a bad signature", async () => {
    const drop = await holdDrop(600);
    const held = await win(drop.id, "threeds@fans.test");
    const started = await pay(held, { card: "4000002500003155" });
    expect(started).toMatchObject({ status: 202, body: { payment: { status: "requires_action" } } });
    const intent = stripe.intents.get(started.body.payment.id)!;
    intent.status = "succeeded"; // the fan passed 3-D Secure on Stripe's page

    expect(await webhook("payment_intent.succeeded", intent, "whsec_wrong")).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_signature" } },
    });
    expect(await statusOf(held)).toBe("held");
    expect((await webhook("payment_intent.succeeded", intent)).status).toBe(200);
    expect(await statusOf(held)).toBe("paid");
    expect((await webhook("payment_intent.succeeded", intent)).status).toBe(200);
    expect(await statusOf(held)).toBe("paid");
    expect(stripe.refunds).not.toContain(intent.id);
  });

  it("finds an order's intent again without its id (a lost answer), and tells a refunded one", async () => {
    const drop = await holdDrop(600);
    const held = await win(drop.id, "lost-answer@fans.test");
    const paid = await pay(held, { card: "4242424242424242" });
    expect(paid.status).toBe(200);
    const [intent] = [...stripe.intents.values()].filter((i) => i.metadata.order_id === held.order.id);
    const before = stripe.intents.size;
    const lookup = { orderId: held.order.id, amountCents: 4200, currency: "EUR", attemptId: "a1" };
    const found = await app.shop.payments.findPayment({ ...lookup, paymentRef: null });
    expect(found).toEqual({
      id: intent!.id,
      orderId: held.order.id,
      status: "succeeded",
      refunded: false,
    });
    // The replayed create made no second intent.
    expect(stripe.intents.size).toBe(before);
    await app.shop.payments.refund(intent!.id);
    expect(await app.shop.payments.findPayment({ ...lookup, paymentRef: intent!.id })).toMatchObject({
      refunded: true,
    });
  });

  it("refunds a payment whose webhook arrives after the hold ran out", async () => {
    const drop = await holdDrop(1);
    const held = await win(drop.id, "late@fans.test");
    const started = await pay(held, { card: "4000002500003155" });
    const intent = stripe.intents.get(started.body.payment.id)!;
    await sleep(1200);
    intent.status = "succeeded";
    expect((await webhook("payment_intent.succeeded", intent)).status).toBe(200);
    expect(await statusOf(held)).toBe("refunded");
    expect(stripe.refunds.filter((id) => id === intent.id)).toEqual([intent.id]);
  });
});
