/**
 * The fan's checkout pages on a hold drop (issue 11): the hold's own page (countdown, pay form, then the
 * receipt or what became of the hold) and its pay and release forms. The receipt link's code
 * (/d/<slug>/orders/<id>?k=…) is the fan's key here, as the order token is in the API.
 */
import { timingSafeEqual } from "node:crypto";
import { type Context, Hono } from "hono";
import * as v from "valibot";
import { Hold, HoldPage, type HoldProps } from "../../../views/fan/hold";
import type { ShippingProps } from "../../../views/fan/shipping";
import type { Storefront } from "../../domain/catalog";
import {
  CardDeclined,
  DomainError,
  HoldExpired,
  InvalidInput,
  NotFound,
  OrderNotPayable,
  OrderStateConflict,
} from "../../domain/errors";
import type { Shop } from "../../domain/shop";
import type { Drop } from "../../domain/types";
import { PayBody } from "../../http/checkout-api";
import { ShippingBody } from "../../http/order-schemas";
import { formBody, parseWith } from "../../http/validation";
import type { CheckoutOrder } from "../../repository/checkout/holds";
import { orderSize } from "./order-size";

/** A form's text fields (a file field, which no address has, is left out). */
const textFields = (fields: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => typeof e[1] === "string"));

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function createFanHolds(shop: Shop, storefront: Storefront) {
  const holdUrl = async (drop: Drop, orderId: string) =>
    `/d/${drop.slug}/orders/${orderId}?k=${await storefront.receiptCode(orderId)}`;

  /** The order behind a hold link of this drop, or undefined for any wrong part of the link. */
  async function verified(drop: Drop, orderId: string, code: string): Promise<CheckoutOrder | undefined> {
    if (!UUID.test(orderId) || !/^[\w-]{1,64}$/.test(code)) return undefined;
    const id = orderId.toLowerCase();
    const expected = Buffer.from(await storefront.receiptCode(id));
    const given = Buffer.from(code);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const order = await shop.checkout.findOrder(id).catch((error: unknown) => {
      if (error instanceof NotFound) return undefined;
      throw error;
    });
    return order?.dropId === drop.id ? order : undefined;
  }

  /**
   * On a drop that ships (issue 18 §2): the order's address and whether the fan may still change it, for
   * the hold's pay form and the receipt; undefined on other drops (no query).
   */
  async function shippingOf(
    drop: Drop,
    orderId: string,
    url: string,
    extra: Pick<ShippingProps, "values" | "errors" | "notice"> = {},
  ): Promise<ShippingProps | undefined> {
    if (!drop.collectShipping) return undefined;
    const order = await shop.orderManagement.fanOrder(orderId).catch((error: unknown) => {
      if (error instanceof NotFound) return undefined; // an ended hold: nothing to ship
      throw error;
    });
    if (!order) return undefined;
    const live = order.status === "placed" || order.status === "paid" || order.status === "held";
    return {
      address: order.shipping,
      editable: live && !order.fulfilledAt,
      shippedAt: order.fulfilledAt,
      trackingUrl: order.trackingUrl,
      action: url.replace(/\?/, "/shipping?"),
      ...extra,
    };
  }

  async function holdProps(
    drop: Drop,
    order: CheckoutOrder,
    extra: Partial<Pick<HoldProps, "replay" | "message" | "pendingPaymentId">> & {
      shipping?: Pick<ShippingProps, "values" | "errors" | "notice">;
    } = {},
  ): Promise<HoldProps> {
    const shopFront = (await storefront.pageExtras(drop)).shop;
    const url = await holdUrl(drop, order.id);
    const size = await orderSize(shop, drop, order.variant);
    return {
      size: size?.name,
      shipping: await shippingOf(drop, order.id, url, extra.shipping),
      // An instant drop takes no payment: its waitlist offer is claimed (docs/draws.md).
      claim: drop.holdSeconds <= 0,
      order,
      title: drop.title,
      currency: drop.currency,
      quantity: size?.quantity ?? drop.quantity,
      shopName: shopFront.name,
      url,
      replay: extra.replay ?? false,
      message: extra.message,
      pendingPaymentId: extra.pendingPaymentId,
    };
  }

  /** The hold's page, for GET /d/<slug>/orders/<id> on a hold drop. */
  async function page(c: Context, drop: Drop, orderId: string, code: string) {
    const order = await verified(drop, orderId, code);
    if (!order) return undefined;
    c.header("Cache-Control", "private, no-store");
    c.header("Referrer-Policy", "no-referrer");
    c.header("X-Robots-Tag", "noindex");
    const props = await holdProps(drop, order);
    // htmx asks for the box alone when the countdown reaches zero.
    if (c.req.header("hx-request") === "true") return c.html(<Hold {...props} />);
    return c.html(<HoldPage {...props} slug={drop.slug} shop={(await storefront.pageExtras(drop)).shop} />);
  }

  /**
   * GET /d/<slug>/orders/<id> on an instant drop: a waitlist offer not yet claimed (held, or lapsed or passed
   * on) is shown as the hold page with "Claim it" and "Pass"; undefined for anything else (the receipt).
   */
  async function offerPage(c: Context, drop: Drop, orderId: string, code: string) {
    const order = await verified(drop, orderId, code);
    if (!order || order.status === "placed") return undefined;
    return page(c, drop, orderId, code);
  }

  /** What a pay attempt that did not pay says above the form. */
  const refusal = (error: DomainError): HoldProps["message"] =>
    error instanceof CardDeclined || error instanceof InvalidInput
      ? { tone: "bad", text: error instanceof InvalidInput ? "Enter a card number." : error.message }
      : undefined;

  function routes(findDrop: (slug: string) => Promise<Drop | undefined>) {
    const holds = new Hono();
    const act = (kind: "pay" | "release" | "claim") => async (c: Context) => {
      const drop = await findDrop(c.req.param("slug") ?? "");
      const order = drop && (await verified(drop, c.req.param("orderId") ?? "", c.req.query("k") ?? ""));
      if (!drop || !order) return c.text("Order not found", 404);
      // A body that is not the form it claims to be is a 400 from the error mapper, not a message in the
      // form (a browser never sends one), and never the parser's TypeError (a 500).
      const fields = kind === "pay" ? await formBody(c) : {};
      let props: HoldProps;
      try {
        if (kind === "release") props = await holdProps(drop, await shop.checkout.releaseOrder(order));
        else if (kind === "claim") props = await holdProps(drop, await shop.fairness.claimOffer(order));
        else {
          const pay = parseWith(PayBody, fields);
          // On a drop that ships, the address comes with the card (not with a payment's second step).
          if (drop.collectShipping && "card" in pay) {
            const address = v.safeParse(ShippingBody, fields);
            if (!address.success) {
              const errors = Object.fromEntries(
                address.issues.map((issue) => [v.getDotPath(issue) ?? "", issue.message]),
              );
              c.header("Cache-Control", "no-store");
              props = await holdProps(drop, order, {
                message: { tone: "bad", text: "Check your address below." },
                shipping: { values: textFields(fields), errors },
              });
              if (c.req.header("hx-request") === "true") return c.html(<Hold {...props} />, 400);
              return c.html(
                <HoldPage {...props} slug={drop.slug} shop={(await storefront.pageExtras(drop)).shop} />,
                400,
              );
            }
            await shop.orderManagement.setShipping(order.id, address.output);
          }
          const { order: after, pending } = await shop.checkout.payOrder(order, pay);
          props = await holdProps(drop, after, { pendingPaymentId: pending?.id });
        }
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        const expected =
          error instanceof CardDeclined ||
          error instanceof InvalidInput ||
          error instanceof HoldExpired ||
          error instanceof OrderNotPayable ||
          error instanceof OrderStateConflict;
        if (!expected) throw error;
        const now = (await shop.checkout.findOrder(order.id).catch(() => undefined)) ?? order;
        props = await holdProps(drop, now, { message: refusal(error) });
      }
      c.header("Cache-Control", "no-store");
      // A claimed offer is an instant order: its page is now the receipt, at the same address.
      if (props.order.status === "placed" && c.req.header("hx-request") !== "true")
        return c.redirect(props.url, 303);
      if (c.req.header("hx-request") === "true") return c.html(<Hold {...props} />);
      // Without JS: post/redirect/get, unless there is something to say above the form.
      if (!props.message && !props.pendingPaymentId) return c.redirect(props.url, 303);
      return c.html(<HoldPage {...props} slug={drop.slug} shop={(await storefront.pageExtras(drop)).shop} />);
    };
    holds.post("/:slug/orders/:orderId/pay", act("pay"));
    holds.post("/:slug/orders/:orderId/release", act("release"));
    holds.post("/:slug/orders/:orderId/claim", act("claim"));
    return holds;
  }

  return { holdProps, page, offerPage, routes, holdUrl, shippingOf };
}
