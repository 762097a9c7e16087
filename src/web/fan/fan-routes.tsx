import { randomUUID, timingSafeEqual } from "node:crypto";
import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as v from "valibot";
import { DropNotFoundPage, DropPage } from "../../../views/fan/drop-page";
import { HoldPage } from "../../../views/fan/hold";
import { type BoughtState, Purchase, type PurchaseState, sizeChoice } from "../../../views/fan/purchase";
import { ClosedReceiptPage, ReceiptNotFoundPage, ReceiptPage } from "../../../views/fan/receipt-page";
import type { ShippingProps } from "../../../views/fan/shipping";
import { StockState } from "../../../views/fan/stock";
import type { CookieSecurity } from "../../config";
import { isDatabaseUnavailable } from "../../db/database";
import { createDropImages, createStorefront, type ShopFront, type Storefront } from "../../domain/catalog";
import {
  Busy,
  DomainError,
  FanUnverified,
  InvalidInput,
  NotFound,
  OrderStateConflict,
} from "../../domain/errors";
import type { NotifyMe, VerifiedFan, VerifiedFans } from "../../domain/fairness";
import { soleVariant } from "../../domain/purchase";
import type { DropWithStock, Shop } from "../../domain/shop";
import type { Drop, Order } from "../../domain/types";
import { Forbidden, retryAfterOf, statusFor } from "../../http/error-response";
import { verifiedFan } from "../../http/fan-auth";
import { ShippingBody } from "../../http/order-schemas";
import { DropRef, IdempotencyKey } from "../../http/schemas";
import { formBody, parseWith } from "../../http/validation";
import * as repo from "../../repository";
import { fromOwnOrigin } from "../csrf";
import { htmlError } from "../error-page";
import { fanFairnessRoutes, type NotifyState } from "./fan-fairness-routes";
import { type BuyForm, BuyFormSchema, invalidState, rejectedState } from "./fan-forms";
import { createFanHolds } from "./fan-hold-routes";
import { createFanQueue } from "./fan-queue-routes";
import { type StockStreamOptions, stockStream } from "./fan-stream";
import { orderSize } from "./order-size";
import { createStockWatcher, type StockWatcher } from "./stock-watcher";

export interface FanRoutesOptions extends StockStreamOptions {
  /** Shared by every stream of this process; made here from the shop's database when not given. */
  watcher?: StockWatcher;
  /** Shops, receipts: made here from the shop's database when not given. */
  storefront?: Storefront;
  /** The site's public base URL behind a proxy (PUBLIC_URL), for the absolute URLs of link previews. */
  publicUrl?: string | undefined;
  /** Verified fans (issue 17 §1): the page's email step and the cookie a verified-fans drop buys with. */
  fans?: VerifiedFans | undefined;
  /** "Email me at go-live" on upcoming drops' pages. */
  notifyMe?: NotifyMe | undefined;
  /** COOKIE_SECURE, for the verified fan's cookie. */
  cookieSecure?: CookieSecurity | undefined;
}

const isFragment = (c: Context) => c.req.header("hx-request") === "true";

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The drop's sold-out state, exactly as a fresh page renders it. */
export function SoldOutState({ drop, shop }: { drop: Drop; shop: ShopFront }) {
  return (
    <StockState
      remaining={0}
      quantity={drop.quantity}
      status="sold_out"
      shopHref={`/s/${shop.slug}`}
      shopName={shop.name}
    />
  );
}

/** The drop's cancelled state, exactly as a fresh page renders it. */
export function CancelledState({ drop, shop }: { drop: Drop; shop: ShopFront }) {
  return (
    <StockState
      remaining={drop.quantity}
      quantity={drop.quantity}
      status="cancelled"
      shopHref={`/s/${shop.slug}`}
      shopName={shop.name}
    />
  );
}

interface BuyAnswer {
  state: PurchaseState;
  /** Set when the answer is an order: the no-JS form is sent on to its receipt page. */
  order?: Order | undefined;
  status: ContentfulStatusCode;
  retryAfter?: number | undefined;
}

/**
 * The fan's side, under /d: the drop page, the buy form's endpoint (htmx fragment or, without JS, the
 * whole page again) and the live stock stream.
 * @example app.route("/d", fanRoutes(shop))
 */
export function fanRoutes(shop: Shop, options: FanRoutesOptions = {}) {
  const watcher =
    options.watcher ?? createStockWatcher({ read: (dropIds) => repo.readStocks(shop.db, dropIds) });
  // A seller's refund or cancel in this process brings a unit back: a sold-out reading is read again.
  shop.orderManagement.whenUnitReturned((dropId) => watcher.reopen(dropId));
  const storefront = options.storefront ?? createStorefront(shop.db, createDropImages(shop.db), shop.clock);
  const routes = new Hono();
  const holds = createFanHolds(shop, storefront);
  routes.route("/", holds.routes(findDrop));
  const queue = createFanQueue(shop, storefront, options.fans);
  routes.route("/", queue.routes(findDrop));
  // A fan page read while the database is unreachable is an HTML "busy" page, not the API's JSON.
  routes.onError((error, c) => {
    if (isDatabaseUnavailable(error)) return htmlError(c, new Busy());
    throw error;
  });

  /** The drop at this address, or undefined for an unknown or malformed slug. */
  async function findDrop(slug: string): Promise<Drop | undefined> {
    try {
      return await shop.findDrop(parseWith(DropRef, slug));
    } catch (error) {
      if (error instanceof NotFound || error instanceof InvalidInput) return undefined;
      throw error;
    }
  }

  const notFound = (c: Context) => c.html(<DropNotFoundPage />, 404);

  /**
   * Stock, clock and pictures: the watcher's fresh read while the drop's counter is open, else a query.
   * The watcher's read carries the drop's mode and go-live from the database: when either is not the cached
   * drop's (the seller changed it in another process), the drop is read afresh, so the page offers the
   * right checkout and counts down to the right moment.
   */
  async function stockOf(drop: Drop): Promise<DropWithStock> {
    const seen = watcher.peek(drop);
    const same =
      seen &&
      (seen.hold ?? drop.holdSeconds > 0) === drop.holdSeconds > 0 &&
      (seen.startsAt ?? drop.startsAt).getTime() === drop.startsAt.getTime();
    // A drop of several variants reads each one's stock (the watcher counts the drop as a whole).
    if (seen && same && !drop.variantCount) {
      const sole = { ...soleVariant(drop), remaining: seen.remaining, status: seen.status };
      return { drop, ...seen, variants: [sole], images: (await storefront.pageExtras(drop)).images };
    }
    return shop.dropWithStock(drop.id);
  }

  const receiptUrl = async (drop: Drop, order: Pick<Order, "id">) =>
    `/d/${drop.slug}/orders/${order.id}?k=${await storefront.receiptCode(order.id)}`;

  async function boughtState(
    drop: Drop,
    order: Order,
    replay: boolean,
    shipping?: Pick<ShippingProps, "values" | "errors" | "notice">,
  ): Promise<BoughtState> {
    const shopFront = (await storefront.pageExtras(drop)).shop;
    const url = await receiptUrl(drop, order);
    const size = await orderSize(shop, drop, order.variant);
    return {
      shipping: await holds.shippingOf(drop, order.id, url, shipping),
      kind: "bought",
      order,
      replay,
      title: drop.title,
      currency: drop.currency,
      quantity: size?.quantity ?? drop.quantity,
      shopName: shopFront.name,
      url,
      size: size?.name,
    };
  }

  /**
   * The receipt of an order the shop cancelled or refunded (moved to closed_orders, sql/0164): the link
   * still works and says what happened. Undefined for a wrong code, another drop's order, or a live one.
   */
  async function closedReceipt(drop: Drop, orderId: string, code: string) {
    const expected = Buffer.from(await storefront.receiptCode(orderId));
    const given = Buffer.from(code);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const order = await shop.orderManagement.fanOrder(orderId).catch((error: unknown) => {
      if (error instanceof NotFound) return undefined;
      throw error;
    });
    if (!order || order.dropId !== drop.id) return undefined;
    if (order.status !== "cancelled" && order.status !== "refunded") return undefined;
    const size = await orderSize(shop, drop, order.variant);
    const shopFront = (await storefront.pageExtras(drop)).shop;
    return {
      order: { ...order, status: order.status },
      title: drop.title,
      currency: drop.currency,
      quantity: size?.quantity ?? drop.quantity,
      shopName: shopFront.name,
      url: await receiptUrl(drop, order),
      size: size?.name,
      slug: drop.slug,
      shop: shopFront,
    };
  }

  /** The whole page around a buy box. */
  async function page(
    c: Context,
    drop: Drop,
    purchaseFor: (view: DropWithStock, fan: VerifiedFan | undefined) => PurchaseState,
    notify?: NotifyState,
    chosenSize?: string,
  ) {
    const [view, extras, fan] = await Promise.all([stockOf(drop), storefront.pageExtras(drop), fanOf(c)]);
    const queueBox = await queue.boxFor(c, drop, view);
    c.header("Cache-Control", "no-store");
    const upcoming = view.status === "upcoming" && options.notifyMe !== undefined;
    return (
      <DropPage
        {...view}
        queue={queueBox}
        waitlist={
          queueBox?.kind !== "draw" && (drop.variantCount ?? 0) <= 1 && view.status !== "cancelled"
            ? { kind: "waitlist", slug: drop.slug, askFan: !drop.verifiedFans, fanValue: "" }
            : undefined
        }
        chosenSize={chosenSize}
        images={extras.images}
        shop={extras.shop}
        origin={new URL(options.publicUrl ?? c.req.url).origin}
        purchase={purchaseFor(view, fan)}
        verifiedAs={drop.verifiedFans ? fan?.email : undefined}
        notify={upcoming ? (notify ?? { kind: "form", email: fan?.email ?? "" }) : undefined}
      />
    );
  }

  /** The verified fan of this browser (its HttpOnly cookie), checked in memory. */
  const fanOf = (c: Context): Promise<VerifiedFan | undefined> =>
    options.fans ? verifiedFan(c, options.fans) : Promise.resolve(undefined);

  /** Validates the form and buys through the shop; every answer a fan can get becomes a buy-box state. */
  async function buy(drop: Drop, asked: Record<string, unknown>, fan?: VerifiedFan): Promise<BuyAnswer> {
    // A verified-fans drop buys for the address the cookie proves; the form's identity field is not asked.
    const raw = drop.verifiedFans && fan ? { ...asked, fan: fan.email } : asked;
    if (drop.verifiedFans && !fan) {
      const idempotencyKey = v.is(IdempotencyKey, raw.idempotencyKey)
        ? String(raw.idempotencyKey)
        : randomUUID();
      return {
        state: {
          kind: "verify",
          step: "email",
          email: "",
          idempotencyKey,
          error: new FanUnverified().message,
        },
        status: 401,
      };
    }
    let form: BuyForm;
    try {
      form = parseWith(BuyFormSchema, raw);
    } catch (error) {
      if (!(error instanceof InvalidInput)) throw error;
      return { state: invalidState(raw, error), status: statusFor(error) };
    }
    try {
      const { order, replay, checkout } = await shop.purchase(drop.id, {
        fan: form.fan,
        idempotencyKey: form.idempotencyKey,
        verified: fan,
        variant: form.variant,
      });
      if (checkout) {
        const held = await holds.holdProps(drop, checkout.order, { replay });
        return { state: { kind: "held", ...held }, order, status: replay ? 200 : 201 };
      }
      return { state: await boughtState(drop, order, replay), order, status: replay ? 200 : 201 };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const state = await rejectedState(error, drop, form, async () => (await stockOf(drop)).serverTime);
      if (!state) throw error;
      return {
        state,
        status: statusFor(error),
        retryAfter: retryAfterOf(error),
      };
    }
  }

  /**
   * The drop's state that an answer of sold out, paused or cancelled implies, swapped into the open page at
   * once rather than when the stream catches up, so the page reads as a fresh load would.
   */
  async function stateSaidBy(drop: Drop, state: PurchaseState) {
    if (state.kind !== "sold_out" && state.kind !== "cancelled" && state.kind !== "paused") return undefined;
    const shopFront = (await storefront.pageExtras(drop)).shop;
    if (state.kind === "sold_out") return <SoldOutState drop={drop} shop={shopFront} />;
    if (state.kind === "cancelled") return <CancelledState drop={drop} shop={shopFront} />;
    // The database just said paused; the count is the freshest reading there is.
    return (
      <StockState remaining={(await stockOf(drop)).remaining} quantity={drop.quantity} status="paused" />
    );
  }

  routes.get("/:slug", async (c) => {
    const drop = await findDrop(c.req.param("slug"));
    if (!drop) return notFound(c);
    return c.html(
      // A fresh idempotency key per page view: every submit of this form is the same purchase. (A sold-out
      // page shows no form: the drop's state says it all.)
      await page(c, drop, ({ status }, fan) =>
        drop.verifiedFans && !fan
          ? { kind: "verify", step: "email", email: "", idempotencyKey: randomUUID() }
          : { kind: "ready", fan: "", idempotencyKey: randomUUID(), live: status === "live" },
      ),
    );
  });

  routes.post("/:slug/buy", async (c) => {
    const drop = await findDrop(c.req.param("slug"));
    if (!drop) return notFound(c);
    // The verified fan's cookie is a credential: a post from another site may not spend it.
    if (drop.verifiedFans && !fromOwnOrigin(c))
      throw new Forbidden("This form was sent from another site, so it was refused.");
    const fan = await fanOf(c);
    const raw = await formBody(c);
    const { state, status, retryAfter, order } = await buy(drop, raw, fan);
    const verifiedAs = drop.verifiedFans ? fan?.email : undefined;
    if (retryAfter !== undefined) c.header("Retry-After", String(retryAfter));
    c.header("Cache-Control", "no-store");
    const chosenSize = typeof raw.variant === "string" ? raw.variant : undefined;
    if (isFragment(c)) {
      // A drop of several sizes answers its form with every size's stock as of now (sold-out ones struck).
      const sizes = drop.variantCount
        ? sizeChoice(drop, (await stockOf(drop)).variants, chosenSize)
        : undefined;
      const said = await stateSaidBy(drop, state);
      if (!said)
        return c.html(
          <Purchase slug={drop.slug} state={state} verifiedAs={verifiedAs} sizes={sizes} />,
          status,
        );
      return c.html(
        <>
          <Purchase slug={drop.slug} state={state} verifiedAs={verifiedAs} sizes={sizes} />
          <div id="drop-state" hx-swap-oob="innerHTML">
            {said}
          </div>
        </>,
        status,
      );
    }
    // Without JS: post/redirect/get to the receipt, so a reload or a bookmark shows it again.
    if (order) return c.redirect(await receiptUrl(drop, order), 303);
    return c.html(await page(c, drop, () => state, undefined, chosenSize), status);
  });

  routes.get("/:slug/orders/:orderId", async (c) => {
    const known = await findDrop(c.req.param("slug"));
    const orderId = c.req.param("orderId");
    const code = c.req.query("k") ?? "";
    if (!known || !UUID.test(orderId) || !/^[\w-]{1,64}$/.test(code))
      return c.html(<ReceiptNotFoundPage />, 404);
    // Held order or instant receipt by the drop's mode in the database, not this process's cached drop.
    const drop = await shop.currentDrop(known.id);
    if (drop.holdSeconds > 0)
      return (await holds.page(c, drop, orderId, code)) ?? c.html(<ReceiptNotFoundPage />, 404);
    // A waitlist offer on an instant drop, not claimed yet: the page to claim it or pass (docs/draws.md).
    const offer = await holds.offerPage(c, drop, orderId, code);
    if (offer) return offer;
    let order: Order;
    try {
      order = await storefront.receipt(drop, orderId.toLowerCase(), code);
    } catch (error) {
      if (!(error instanceof NotFound)) throw error;
      const closed = await closedReceipt(drop, orderId.toLowerCase(), code);
      if (!closed) return c.html(<ReceiptNotFoundPage />, 404);
      c.header("Cache-Control", "private, no-store");
      c.header("Referrer-Policy", "no-referrer");
      c.header("X-Robots-Tag", "noindex");
      return c.html(<ClosedReceiptPage {...closed} />);
    }
    const saved = c.req.query("saved") === "1" ? { notice: "Address saved." } : undefined;
    const state = await boughtState(drop, order, false, saved);
    c.header("Cache-Control", "private, no-store");
    c.header("Referrer-Policy", "no-referrer"); // the address is the secret: never send it to a linked site
    c.header("X-Robots-Tag", "noindex");
    return c.html(
      <ReceiptPage {...state} slug={drop.slug} shop={(await storefront.pageExtras(drop)).shop} />,
    );
  });

  if (options.fans) {
    routes.route(
      "/",
      fanFairnessRoutes({
        fans: options.fans,
        notifyMe: options.notifyMe,
        cookieSecure: options.cookieSecure ?? "auto",
        findDrop,
        notFound,
        page: (c, drop, purchaseFor, notify) => page(c, drop, purchaseFor, notify),
        storefront,
        dropWithStock: (drop) => stockOf(drop),
        isDraw: async (drop) => (await shop.fairness.findDraw(drop.id)) !== undefined,
      }),
    );
  }
  /**
   * The fan gives or corrects where to ship their order (issue 18 §2), from the receipt or hold page; the
   * receipt link's code is the key, as for the receipt itself. Back to the receipt when saved; the same page
   * with each field's problem when not; "already shipped" once the seller has shipped it.
   */
  routes.post("/:slug/orders/:orderId/shipping", async (c) => {
    const known = await findDrop(c.req.param("slug"));
    const orderId = c.req.param("orderId").toLowerCase();
    const code = c.req.query("k") ?? "";
    if (!known || !UUID.test(orderId) || !/^[\w-]{1,64}$/.test(code))
      return c.html(<ReceiptNotFoundPage />, 404);
    const drop = await shop.currentDrop(known.id);
    const expected = Buffer.from(await storefront.receiptCode(orderId));
    const given = Buffer.from(code);
    const order =
      given.length === expected.length && timingSafeEqual(given, expected)
        ? await shop.orderManagement.fanOrder(orderId).catch(() => undefined)
        : undefined;
    if (!order || order.dropId !== drop.id || !drop.collectShipping)
      return c.html(<ReceiptNotFoundPage />, 404);
    const form = await formBody(c);
    const fields = Object.fromEntries(
      Object.entries(form).filter((e): e is [string, string] => typeof e[1] === "string"),
    );
    const parsed = v.safeParse(ShippingBody, fields);
    let shipping: Pick<ShippingProps, "values" | "errors" | "notice"> | undefined;
    if (parsed.success) {
      try {
        await shop.orderManagement.setShipping(orderId, parsed.output);
        const url = `/d/${drop.slug}/orders/${orderId}?k=${code}`;
        return c.redirect(`${url}&saved=1#shipping`, 303);
      } catch (error) {
        if (!(error instanceof OrderStateConflict)) throw error;
        shipping = { notice: "Your order has already been shipped, so its address can no longer change." };
      }
    } else {
      shipping = {
        values: fields,
        errors: Object.fromEntries(parsed.issues.map((issue) => [v.getDotPath(issue) ?? "", issue.message])),
      };
    }
    c.header("Cache-Control", "private, no-store");
    c.header("Referrer-Policy", "no-referrer");
    const status = parsed.success ? 409 : 400;
    const shopFront = (await storefront.pageExtras(drop)).shop;
    if (drop.holdSeconds > 0) {
      const held = await shop.checkout.findOrder(orderId);
      const props = await holds.holdProps(drop, held, { shipping });
      return c.html(<HoldPage {...props} slug={drop.slug} shop={shopFront} />, status);
    }
    const bought = await storefront.receipt(drop, orderId, code);
    const state = await boughtState(drop, bought, false, shipping);
    return c.html(<ReceiptPage {...state} slug={drop.slug} shop={shopFront} />, status);
  });

  routes.get("/:slug/stream", async (c) => {
    const drop = await findDrop(c.req.param("slug"));
    if (!drop) return notFound(c);
    return stockStream(c, drop, watcher, { ...options, shop: (await storefront.pageExtras(drop)).shop });
  });

  return routes;
}
