import { randomUUID } from "node:crypto";
import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DropNotFoundPage, DropPage } from "../../views/fan/drop-page";
import { Purchase, type PurchaseState } from "../../views/fan/purchase";
import { DomainError, InvalidInput, NotFound } from "../domain/errors";
import type { DropWithStock, Shop } from "../domain/shop";
import type { Drop } from "../domain/types";
import { retryAfterOf, statusFor } from "../http/error-response";
import { DropRef } from "../http/schemas";
import { formBody, parseWith } from "../http/validation";
import * as repo from "../repository";
import { type BuyForm, BuyFormSchema, invalidState, rejectedState } from "./fan-forms";
import { type StockStreamOptions, stockStream } from "./fan-stream";
import { createStockWatcher, type StockWatcher } from "./stock-watcher";

export interface FanRoutesOptions extends StockStreamOptions {
  /** Shared by every stream of this process; made here from the shop's database when not given. */
  watcher?: StockWatcher;
}

const isFragment = (c: Context) => c.req.header("hx-request") === "true";

interface BuyAnswer {
  state: PurchaseState;
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
    options.watcher ?? createStockWatcher({ read: (dropId) => repo.readStock(shop.db, dropId) });
  const routes = new Hono();

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

  /** Stock and database clock: the watcher's fresh read while the drop's counter is open, else a query. */
  async function stockOf(drop: Drop): Promise<DropWithStock> {
    const seen = watcher.peek(drop);
    return seen ? { drop, ...seen } : shop.dropWithStock(drop.id);
  }

  /** The whole page around a buy box. */
  async function page(c: Context, drop: Drop, purchaseFor: (view: DropWithStock) => PurchaseState) {
    const view = await stockOf(drop);
    c.header("Cache-Control", "no-store");
    return <DropPage {...view} purchase={purchaseFor(view)} />;
  }

  /** Validates the form and buys through the shop; every answer a fan can get becomes a buy-box state. */
  async function buy(drop: Drop, raw: Record<string, unknown>): Promise<BuyAnswer> {
    let form: BuyForm;
    try {
      form = parseWith(BuyFormSchema, raw);
    } catch (error) {
      if (!(error instanceof InvalidInput)) throw error;
      return { state: invalidState(raw, error), status: statusFor(error) };
    }
    try {
      const { order, replay } = await shop.purchase(drop.id, {
        fan: form.fan,
        idempotencyKey: form.idempotencyKey,
      });
      return {
        state: { kind: "bought", order, quantity: drop.quantity, replay },
        status: replay ? 200 : 201,
      };
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

  routes.get("/:slug", async (c) => {
    const drop = await findDrop(c.req.param("slug"));
    if (!drop) return notFound(c);
    return c.html(
      await page(c, drop, ({ status }) =>
        status === "sold_out"
          ? { kind: "sold_out", quantity: drop.quantity }
          : // A fresh idempotency key per page view: every submit of this form is the same purchase.
            { kind: "ready", fan: "", idempotencyKey: randomUUID(), live: status === "live" },
      ),
    );
  });

  routes.post("/:slug/buy", async (c) => {
    const drop = await findDrop(c.req.param("slug"));
    if (!drop) return notFound(c);
    const { state, status, retryAfter } = await buy(drop, await formBody(c));
    if (retryAfter !== undefined) c.header("Retry-After", String(retryAfter));
    c.header("Cache-Control", "no-store");
    if (isFragment(c)) return c.html(<Purchase slug={drop.slug} state={state} />, status);
    // Without JS: the whole page, the answer where the form was. A browser resubmit sends the same key.
    return c.html(await page(c, drop, () => state), status);
  });

  routes.get("/:slug/stream", async (c) => {
    const drop = await findDrop(c.req.param("slug"));
    if (!drop) return notFound(c);
    return stockStream(c, drop, watcher, options);
  });

  return routes;
}
