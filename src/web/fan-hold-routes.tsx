/**
 * The fan's checkout pages on a hold drop (issue 11): the hold's own page (countdown, pay form, then the
 * receipt or what became of the hold) and its pay and release forms. The receipt link's code
 * (/d/<slug>/orders/<id>?k=…) is the fan's key here, as the order token is in the API.
 */
import { timingSafeEqual } from "node:crypto";
import { type Context, Hono } from "hono";
import { Hold, HoldPage, type HoldProps } from "../../views/fan/hold";
import type { Storefront } from "../domain/catalog";
import {
  CardDeclined,
  DomainError,
  HoldExpired,
  InvalidInput,
  NotFound,
  OrderNotPayable,
} from "../domain/errors";
import type { Shop } from "../domain/shop";
import type { Drop } from "../domain/types";
import { PayBody } from "../http/checkout-api";
import { formBody, parseWith } from "../http/validation";
import type { CheckoutOrder } from "../repository/checkout/holds";

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

  async function holdProps(
    drop: Drop,
    order: CheckoutOrder,
    extra: Partial<Pick<HoldProps, "replay" | "message" | "pendingPaymentId">> = {},
  ): Promise<HoldProps> {
    const shopFront = (await storefront.pageExtras(drop)).shop;
    return {
      order,
      title: drop.title,
      currency: drop.currency,
      quantity: drop.quantity,
      shopName: shopFront.name,
      url: await holdUrl(drop, order.id),
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

  /** What a pay attempt that did not pay says above the form. */
  const refusal = (error: DomainError): HoldProps["message"] =>
    error instanceof CardDeclined || error instanceof InvalidInput
      ? { tone: "bad", text: error instanceof InvalidInput ? "Enter a card number." : error.message }
      : undefined;

  function routes(findDrop: (slug: string) => Promise<Drop | undefined>) {
    const holds = new Hono();
    const act = (kind: "pay" | "release") => async (c: Context) => {
      const drop = await findDrop(c.req.param("slug") ?? "");
      const order = drop && (await verified(drop, c.req.param("orderId") ?? "", c.req.query("k") ?? ""));
      if (!drop || !order) return c.text("Order not found", 404);
      // A body that is not the form it claims to be is a 400 from the error mapper, not a message in the
      // form (a browser never sends one), and never the parser's TypeError (a 500).
      const fields = kind === "pay" ? await formBody(c) : {};
      let props: HoldProps;
      try {
        if (kind === "release") props = await holdProps(drop, await shop.checkout.releaseOrder(order));
        else {
          const { order: after, pending } = await shop.checkout.payOrder(order, parseWith(PayBody, fields));
          props = await holdProps(drop, after, { pendingPaymentId: pending?.id });
        }
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        const expected =
          error instanceof CardDeclined ||
          error instanceof InvalidInput ||
          error instanceof HoldExpired ||
          error instanceof OrderNotPayable;
        if (!expected) throw error;
        const now = (await shop.checkout.findOrder(order.id).catch(() => undefined)) ?? order;
        props = await holdProps(drop, now, { message: refusal(error) });
      }
      c.header("Cache-Control", "no-store");
      if (c.req.header("hx-request") === "true") return c.html(<Hold {...props} />);
      // Without JS: post/redirect/get, unless there is something to say above the form.
      if (!props.message && !props.pendingPaymentId) return c.redirect(props.url, 303);
      return c.html(<HoldPage {...props} slug={drop.slug} shop={(await storefront.pageExtras(drop)).shop} />);
    };
    holds.post("/:slug/orders/:orderId/pay", act("pay"));
    holds.post("/:slug/orders/:orderId/release", act("release"));
    return holds;
  }

  return { holdProps, page, routes, holdUrl };
}
