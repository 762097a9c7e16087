import { type Context, Hono } from "hono";
import * as v from "valibot";
import { FulfilmentPage, OrderPage } from "../../../views/seller/orders";
import { InvalidInput, NotFound, OrderStateConflict } from "../../domain/errors";
import type { ManagedOrder } from "../../domain/orders";
import type { Shop } from "../../domain/shop";
import type { Seller } from "../../domain/types";
import { FulfilBody } from "../../http/order-schemas";
import { DropRef } from "../../http/schemas";
import { parseWith } from "../../http/validation";
import { checkedForm } from "../csrf";
import { requireSeller, type SellerEnv } from "../session";
import { shellOf } from "./seller-auth-routes";

/** Orders listed on a drop's orders page (the CSV has every one). */
export const FULFILMENT_PAGE_UNITS = 500;

const OrderId = v.pipe(v.string(), v.uuid());

/** What the seller is told after each action, by its `done` query value. */
const NOTICES = {
  refunded: "Refunded in full. The fan has been emailed and the unit is back on sale.",
  cancelled: "Cancelled. The fan has been emailed and the unit is back on sale.",
  fulfilled: "Marked as shipped. The fan has been emailed.",
} as const;
const Done = v.optional(v.picklist(["refunded", "cancelled", "fulfilled"] as const));

/**
 * The seller's order pages (issue 18 §3): a drop's orders with who to ship to and "mark all shipped", and
 * one order with its address and its actions (refund, cancel, mark shipped). Each action posts a form
 * (CSRF-checked) and redirects back to the page with what happened said at the top.
 */
export function sellerOrderRoutes(shop: Shop) {
  const routes = new Hono<SellerEnv>();
  routes.use("/seller/orders/*", requireSeller);
  routes.use("/seller/drops/:ref/fulfilment", requireSeller);
  routes.use("/seller/drops/:ref/fulfil-all", requireSeller);
  const desk = shop.orderManagement;
  const sellerOf = (c: Context<SellerEnv>): Seller => c.var.seller!;
  const orderIdOf = (c: Context): string => {
    const id = c.req.param("id") ?? "";
    if (!v.is(OrderId, id)) throw new NotFound("order");
    return id.toLowerCase();
  };
  const dropRefOf = (c: Context): string => {
    const ref = c.req.param("ref") ?? "";
    if (!v.is(DropRef, ref)) throw new NotFound("drop");
    return ref;
  };

  async function orderPage(
    c: Context<SellerEnv>,
    order: ManagedOrder,
    extra: { values?: Record<string, string>; errors?: Record<string, string>; notice?: string } = {},
  ) {
    const drop = await shop.findOwnDrop(sellerOf(c), order.dropId);
    c.header("Cache-Control", "no-store");
    return c.html(
      <OrderPage {...shellOf(c)} order={order} drop={drop} {...extra} />,
      extra.errors && Object.keys(extra.errors).length ? 400 : 200,
    );
  }

  routes.get("/seller/drops/:ref/fulfilment", async (c) => {
    const { drop, orders, units } = await desk.listOfDrop(
      sellerOf(c),
      dropRefOf(c),
      0,
      FULFILMENT_PAGE_UNITS,
    );
    const done = c.req.query("marked");
    c.header("Cache-Control", "no-store");
    return c.html(
      <FulfilmentPage
        {...shellOf(c)}
        drop={drop}
        orders={orders}
        more={units > FULFILMENT_PAGE_UNITS}
        notice={
          done && /^\d{1,9}(-\d{1,9})?$/.test(done)
            ? `${done.split("-")[0]} orders marked as shipped${done.includes("-") ? `; ${done.split("-")[1]} still wait for an address` : ""}.`
            : undefined
        }
      />,
    );
  });

  routes.post("/seller/drops/:ref/fulfil-all", async (c) => {
    await checkedForm(c, c.var.csrfToken);
    const ref = dropRefOf(c);
    const { fulfilled, addressMissing } = await desk.fulfilAll(sellerOf(c), ref);
    const drop = await shop.findOwnDrop(sellerOf(c), ref);
    const marked = addressMissing > 0 ? `${fulfilled}-${addressMissing}` : String(fulfilled);
    return c.redirect(`/seller/drops/${drop.slug}/fulfilment?marked=${marked}`, 303);
  });

  routes.get("/seller/orders/:id", async (c) => {
    const order = await desk.order(sellerOf(c), orderIdOf(c));
    const done = v.safeParse(Done, c.req.query("done"));
    return orderPage(c, order, done.success && done.output ? { notice: NOTICES[done.output] } : {});
  });

  for (const action of ["refund", "cancel"] as const) {
    routes.post(`/seller/orders/:id/${action}`, async (c) => {
      await checkedForm(c, c.var.csrfToken);
      const id = orderIdOf(c);
      try {
        const order =
          action === "refund" ? await desk.refund(sellerOf(c), id) : await desk.cancel(sellerOf(c), id);
        return c.redirect(`/seller/orders/${order.id}?done=${order.status}`, 303);
      } catch (error) {
        // Someone (another tab, the API) changed the order first: show it as it is now, and why.
        if (!(error instanceof OrderStateConflict)) throw error;
        return orderPage(c, await desk.order(sellerOf(c), id), { notice: error.message });
      }
    });
  }

  routes.post("/seller/orders/:id/fulfil", async (c) => {
    const form = await checkedForm(c, c.var.csrfToken);
    const id = orderIdOf(c);
    let trackingUrl: string;
    try {
      ({ trackingUrl } = parseWith(FulfilBody, { trackingUrl: form.trackingUrl ?? "" }));
    } catch (error) {
      if (!(error instanceof InvalidInput)) throw error;
      const message = error.issues[0]?.message ?? "Check the tracking link";
      return orderPage(c, await desk.order(sellerOf(c), id), {
        values: form,
        errors: { trackingUrl: message },
      });
    }
    try {
      await desk.fulfil(sellerOf(c), id, trackingUrl || null);
    } catch (error) {
      if (!(error instanceof OrderStateConflict)) throw error;
      return orderPage(c, await desk.order(sellerOf(c), id), { notice: error.message });
    }
    return c.redirect(`/seller/orders/${id}?done=fulfilled`, 303);
  });

  return routes;
}
