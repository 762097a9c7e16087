import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { StripePaymentProvider } from "../src/domain/stripe-payments";
import { openTestDatabase } from "./support/databases";
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

interface Intent {
  id: string;
  object: "payment_intent";
  amount: number;
  currency: string;
  status: string;
  metadata: Record<string, string>;
}

/** A stand-in for api.stripe.com: PaymentIntents keyed by idempotency key, as Stripe keys them. */
function fakeStripe() {
  const intents = new Map<string, Intent>();
  const byKey = new Map<string, Intent>();
  const requests: {
    method: string;
    path: string;
    idempotencyKey: string | undefined;
    form: URLSearchParams;
  }[] = [];
  const refunds: string[] = [];
  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => resolve(body));
    });
  const server: Server = createServer(async (req, res) => {
    const form = new URLSearchParams(await readBody(req));
    const path = (req.url ?? "").split("?")[0]!;
    const idempotencyKey = req.headers["idempotency-key"] as string | undefined;
    requests.push({ method: req.method ?? "", path, idempotencyKey, form });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json", "request-id": "req_test" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "POST" && path === "/v1/payment_intents") {
      const known = idempotencyKey ? byKey.get(idempotencyKey) : undefined;
      if (known) return send(200, known);
      const intent: Intent = {
        id: `pi_${intents.size + 1}`,
        object: "payment_intent",
        amount: Number(form.get("amount")),
        currency: form.get("currency") ?? "",
        status: "requires_payment_method",
        metadata: { order_id: form.get("metadata[order_id]") ?? "" },
      };
      intents.set(intent.id, intent);
      if (idempotencyKey) byKey.set(idempotencyKey, intent);
      return send(200, intent);
    }
    const confirm = /^\/v1\/payment_intents\/(pi_\d+)\/confirm$/.exec(path);
    if (req.method === "POST" && confirm) {
      const intent = intents.get(confirm[1]!)!;
      const method = form.get("payment_method");
      if (method === "pm_card_chargeDeclined") {
        return send(402, {
          error: { type: "card_error", code: "card_declined", message: "Your card was declined." },
        });
      }
      intent.status = method === "pm_card_authenticationRequired" ? "requires_action" : "succeeded";
      return send(200, intent);
    }
    const one = /^\/v1\/payment_intents\/(pi_\d+)$/.exec(path);
    if (req.method === "GET" && one) return send(200, intents.get(one[1]!));
    if (req.method === "POST" && path === "/v1/refunds") {
      refunds.push(form.get("payment_intent") ?? "");
      return send(200, { id: `re_${refunds.length}`, object: "refund", status: "succeeded" });
    }
    send(404, { error: { type: "invalid_request_error", message: `no route ${req.method} ${path}` } });
  });
  return { server, intents, requests, refunds };
}

describe("Stripe adapter", () => {
  const stripe = fakeStripe();
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;
  const signer = new Stripe("sk_test_signer");

  beforeAll(async () => {
    await new Promise<void>((resolve) => stripe.server.listen(0, "127.0.0.1", resolve));
    const { port } = stripe.server.address() as AddressInfo;
    const payments = new StripePaymentProvider({
      secretKey: "sk_test_local",
      webhookSecret: WEBHOOK_SECRET,
      host: "127.0.0.1",
      port,
      protocol: "http",
    });
    db = await openTestDatabase("pglite");
    app = createApp({ db, payments });
    ({ apiKey } = await createSeller(app));
  });
  afterAll(async () => {
    await db?.close();
    await new Promise((resolve) => stripe.server.close(resolve));
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

  it("refunds a payment whose webhook arrives after the hold ran out", async () => {
    const drop = await holdDrop(1);
    const held = await win(drop.id, "late@fans.test");
    const started = await pay(held, { card: "4000002500003155" });
    const intent = stripe.intents.get(started.body.payment.id)!;
    await sleep(1200);
    intent.status = "succeeded";
    expect((await webhook("payment_intent.succeeded", intent)).status).toBe(200);
    expect(await statusOf(held)).toBe("refunded");
    expect(stripe.refunds).toEqual([intent.id]);
  });
});
