/**
 * Order management over the API (issue 18 §2, §3). The seller (API key): read an order with its address,
 * refund, cancel, fulfil one, fulfil all of a drop. The fan (order token of a hold drop): give or correct
 * the shipping address until the order is fulfilled. Another seller's order is 404, like a missing one.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import * as v from "valibot";
import { NotFound, Unauthorized } from "../domain/errors";
import type { Shop } from "../domain/shop";
import type { Seller } from "../domain/types";
import type { ManagedOrder } from "../repository/orders/manage";
import { answer, describe, jsonRequest, ORDER_AUTH, SELLER_AUTH } from "./openapi";
import { FulfilBody, ShippingBody } from "./order-schemas";
import { DropRef } from "./schemas";
import { jsonBody, parseWith } from "./validation";

type ApiEnv = { Variables: { seller: Seller } };

const nullableString = v.nullable(v.string());

const ShippingJson = v.strictObject({
  name: v.string(),
  line1: v.string(),
  line2: v.string(),
  city: v.string(),
  postalCode: v.string(),
  country: v.string(),
});

/** An order as its seller sees it (the address included); the fan's view leaves nothing of other orders. */
export const ManagedOrderJson = v.strictObject({
  id: v.string(),
  dropId: v.string(),
  unitNo: v.number(),
  fan: v.string(),
  priceCents: v.number(),
  currency: v.string(),
  status: v.picklist(["placed", "held", "expired", "paid", "refunded", "cancelled"]),
  createdAt: v.string(),
  paidAt: nullableString,
  fulfilledAt: nullableString,
  trackingUrl: nullableString,
  closedAt: nullableString,
  collectShipping: v.boolean(),
  /** The drop asks for an address and this live order has none yet. */
  addressMissing: v.boolean(),
  shipping: v.nullable(ShippingJson),
  /** On a drop of several variants (sizes), the order's: `unitNo` counts within it. */
  variant: v.optional(v.strictObject({ id: v.string(), name: v.string() })),
});

const OrderAnswer = v.strictObject({ order: ManagedOrderJson });

const isLive = (o: ManagedOrder) => o.status === "placed" || o.status === "held" || o.status === "paid";

export const managedOrderJson = (o: ManagedOrder) => ({
  id: o.id,
  dropId: o.dropId,
  unitNo: o.unitNo,
  fan: o.fan,
  priceCents: o.priceCents,
  currency: o.currency,
  status: o.status,
  createdAt: o.createdAt.toISOString(),
  paidAt: o.paidAt?.toISOString() ?? null,
  fulfilledAt: o.fulfilledAt?.toISOString() ?? null,
  trackingUrl: o.trackingUrl,
  closedAt: o.closedAt?.toISOString() ?? null,
  collectShipping: o.collectShipping,
  addressMissing: o.collectShipping && o.shipping === null && isLive(o),
  shipping: o.shipping,
  ...(o.variantId && o.variantName ? { variant: { id: o.variantId, name: o.variantName } } : {}),
});

const OrderId = v.pipe(v.string(), v.uuid());

/** The order id in the path; anything that is not one is "not found", as a missing order is. */
function orderIdOf(c: Context): string {
  const id = c.req.param("id") ?? "";
  if (!v.is(OrderId, id)) throw new NotFound("order");
  return id.toLowerCase();
}

/** The seller's action on one order, answering the order as it is afterwards. */
const sellerAction = (
  summary: string,
  description: string,
  extra: { requestBody?: ReturnType<typeof jsonRequest> } = {},
) =>
  describe(
    {
      summary,
      tags: ["orders"],
      security: SELLER_AUTH,
      ...extra,
      responses: { 200: answer(description, OrderAnswer) },
    },
    extra.requestBody ? [400, 401, 404, 409, 413, 415, 503] : [401, 404, 409, 503],
  );

export function orderApiRoutes(shop: Shop, requireSeller: MiddlewareHandler<ApiEnv>) {
  const api = new Hono<ApiEnv>();
  const desk = shop.orderManagement;

  api.get(
    "/seller/orders/:id",
    describe(
      {
        summary: "Read one of your orders, with its shipping address and fulfilment",
        tags: ["orders"],
        security: SELLER_AUTH,
        responses: { 200: answer("the order", OrderAnswer) },
      },
      [401, 404, 503],
    ),
    requireSeller,
    async (c) => c.json({ order: managedOrderJson(await desk.order(c.var.seller, orderIdOf(c))) }),
  );

  api.post(
    "/orders/:id/refund",
    sellerAction(
      "Refund a paid order in full through the payment provider; its unit goes back on sale",
      "the order, refunded",
    ),
    requireSeller,
    async (c) => c.json({ order: managedOrderJson(await desk.refund(c.var.seller, orderIdOf(c))) }),
  );

  api.post(
    "/orders/:id/cancel",
    sellerAction("Cancel an unpaid instant order; its unit goes back on sale", "the order, cancelled"),
    requireSeller,
    async (c) => c.json({ order: managedOrderJson(await desk.cancel(c.var.seller, orderIdOf(c))) }),
  );

  api.post(
    "/orders/:id/fulfil",
    sellerAction(
      "Mark a paid or instant order fulfilled (shipped), with an optional https tracking URL",
      "the order, fulfilled",
      {
        requestBody: jsonRequest(FulfilBody),
      },
    ),
    requireSeller,
    async (c) => {
      const id = orderIdOf(c);
      const hasBody = (c.req.header("content-length") ?? "0") !== "0" || c.req.header("content-type");
      const { trackingUrl } = parseWith(FulfilBody, hasBody ? await jsonBody(c) : {});
      return c.json({ order: managedOrderJson(await desk.fulfil(c.var.seller, id, trackingUrl || null)) });
    },
  );

  api.post(
    "/drops/:ref/orders/fulfil",
    describe(
      {
        summary:
          "Mark every paid and instant order of the drop fulfilled (orders still missing the address the drop asks for are left)",
        tags: ["orders"],
        security: SELLER_AUTH,
        responses: {
          200: answer(
            "how many were marked, and how many still wait for an address",
            v.strictObject({ fulfilled: v.number(), addressMissing: v.number() }),
          ),
        },
      },
      [401, 404, 503],
    ),
    requireSeller,
    async (c) => {
      const ref = c.req.param("ref");
      if (!v.is(DropRef, ref)) throw new NotFound("drop");
      return c.json(await desk.fulfilAll(c.var.seller, ref));
    },
  );

  api.put(
    "/orders/:id/shipping",
    describe(
      {
        summary: "The fan gives or corrects where to ship their order (order token), until it is fulfilled",
        tags: ["checkout"],
        security: ORDER_AUTH,
        requestBody: jsonRequest(ShippingBody),
        responses: {
          200: answer("the address as kept", v.strictObject({ shipping: ShippingJson, status: v.string() })),
        },
      },
      [400, 401, 404, 409, 413, 415, 503],
    ),
    async (c) => {
      const id = orderIdOf(c);
      const token = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
      if (!token) throw new Unauthorized("The order token is required (Authorization: Bearer <orderToken>).");
      await shop.checkout.order(id, token); // NotFound unless the token is this order's
      const address = parseWith(ShippingBody, await jsonBody(c));
      const order = await desk.setShipping(id, address);
      return c.json({ shipping: order.shipping!, status: order.status });
    },
  );

  return api;
}
