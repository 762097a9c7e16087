/**
 * The fan's side of checkout (issue 11): an order of a hold drop, read, released or paid with the order
 * token handed out once at purchase (Authorization: Bearer <orderToken>), and the provider's webhook.
 */
import { Hono } from "hono";
import * as v from "valibot";
import type { PaymentState } from "../domain/checkout";
import { NotFound, Unauthorized } from "../domain/errors";
import type { Shop } from "../domain/shop";
import type { CheckoutOrder } from "../repository/checkout/holds";
import { answer, CheckoutOrderJson, describe, type ErrorStatus, jsonRequest, ORDER_AUTH } from "./openapi";
import { safeText } from "./safe-text";
import { jsonBody, parseWith } from "./validation";

export const checkoutOrderJson = (o: CheckoutOrder, variant?: { id: string; name: string }) => ({
  id: o.id,
  unitNo: o.unitNo,
  ...(variant ? { variant: { id: variant.id, name: variant.name } } : {}),
  dropId: o.dropId,
  fan: o.fan,
  priceCents: o.priceCents,
  currency: o.currency,
  status: o.status,
  expiresAt: o.expiresAt,
  paidAt: o.paidAt,
  createdAt: o.createdAt,
});

/** The purchase's answer on a hold drop: the held order, and its token when it was just made. */
export const heldOrderAnswer = (
  held: { order: CheckoutOrder; orderToken?: string | undefined },
  variant?: { id: string; name: string },
) => ({
  order: checkoutOrderJson(held.order, variant),
  ...(held.orderToken ? { orderToken: held.orderToken } : {}),
});

const OrderId = v.pipe(v.string(), v.uuid());

/** `{card}` pays with the test provider's card field; `{paymentId}` confirms a payment's second step. */
export const PayBody = v.union(
  [
    v.object({
      card: v.pipe(
        v.string("card must be text"),
        safeText("card", "line"),
        v.regex(/^[0-9 -]{12,23}$/, "card must be a card number (digits, spaces or dashes)"),
      ),
    }),
    v.object({ paymentId: v.pipe(v.string(), safeText("paymentId", "line"), v.maxLength(200)) }),
  ],
  'send {card: "4242424242424242"}, or {paymentId} to confirm a payment that needed a second step',
);

const OrderAnswer = v.strictObject({ order: CheckoutOrderJson });

/** A token-holder's action on an order that answers the order. */
const orderAction = (summary: string, description: string, errors: ErrorStatus[] = []) =>
  describe(
    {
      summary,
      tags: ["checkout"],
      security: ORDER_AUTH,
      responses: { 200: answer(description, OrderAnswer) },
    },
    [401, 404, ...errors, 503],
  );

const paymentJson = (p: PaymentState) => ({ id: p.id, status: p.status });

export function checkoutApiRoutes(shop: Shop) {
  const api = new Hono();

  /** The order named in the path, if the bearer token is its token. */
  const orderOf = (id: string, authorization: string | undefined) => {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
    if (!token) throw new Unauthorized("The order token is required (Authorization: Bearer <orderToken>).");
    if (!v.is(OrderId, id)) throw new NotFound("order");
    return { id, token };
  };

  api.get("/orders/:id", orderAction("Read a held order", "the order"), async (c) => {
    const { id, token } = orderOf(c.req.param("id"), c.req.header("authorization"));
    return c.json({ order: checkoutOrderJson(await shop.checkout.order(id, token)) });
  });

  api.post(
    "/orders/:id/release",
    orderAction("Give a held unit back; it is in stock again at once", "the order, released", [409]),
    async (c) => {
      const { id, token } = orderOf(c.req.param("id"), c.req.header("authorization"));
      return c.json({ order: checkoutOrderJson(await shop.checkout.release(id, token)) });
    },
  );

  api.post(
    "/orders/:id/claim",
    orderAction(
      "Claim a waitlist offer on an instant drop (no payment there): the held offer becomes your placed order. The token is the offer's orderToken (GET /api/drops/{ref}/waitlist/me); after the offer lapsed or was passed on: 409 hold_expired",
      "the order, placed",
      [409],
    ),
    async (c) => {
      const { id, token } = orderOf(c.req.param("id"), c.req.header("authorization"));
      const order = await shop.checkout.order(id, token);
      return c.json({ order: checkoutOrderJson(await shop.fairness.claimOffer(order)) });
    },
  );

  api.post(
    "/orders/:id/pay",
    describe(
      {
        summary: "Pay a held order with a card, or confirm a payment's second step with {paymentId}",
        tags: ["checkout"],
        security: ORDER_AUTH,
        requestBody: jsonRequest(PayBody),
        responses: {
          200: answer("paid", OrderAnswer),
          202: answer(
            "the payment needs a second step: confirm it with {paymentId}",
            v.strictObject({
              order: CheckoutOrderJson,
              payment: v.strictObject({ id: v.string(), status: v.string() }),
            }),
          ),
        },
      },
      [400, 401, 402, 404, 409, 413, 415, 503],
    ),
    async (c) => {
      const { id, token } = orderOf(c.req.param("id"), c.req.header("authorization"));
      const body = parseWith(PayBody, await jsonBody(c));
      const { order, pending } = await shop.checkout.pay(id, token, body);
      if (pending) return c.json({ order: checkoutOrderJson(order), payment: paymentJson(pending) }, 202);
      return c.json({ order: checkoutOrderJson(order) });
    },
  );

  /** The provider's asynchronous notifications (Stripe webhooks): the raw body, for the signature check. */
  api.post(
    "/payments/webhook",
    describe(
      {
        summary: "The payment provider's notifications (Stripe webhooks, verified by Stripe-Signature)",
        tags: ["checkout"],
        responses: { 200: answer("applied", v.strictObject({ received: v.boolean() })) },
      },
      [400, 503],
    ),
    async (c) => {
      const headers = Object.fromEntries(c.req.raw.headers.entries());
      await shop.checkout.notify(await c.req.text(), headers);
      return c.json({ received: true });
    },
  );

  return api;
}
