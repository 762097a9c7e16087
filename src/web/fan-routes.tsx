import { randomUUID } from "node:crypto";
import { type Context, Hono } from "hono";
import { DropNotFoundPage, DropPage } from "../../views/fan/drop-page";
import { Purchase, type PurchaseState } from "../../views/fan/purchase";
import { Busy, DomainError, InvalidInput, NotFound } from "../domain/errors";
import type { DropWithStock, Shop } from "../domain/shop";
import type { Drop } from "../domain/types";
import { statusFor } from "../http/error-response";
import { DropRef } from "../http/schemas";
import { parseWith } from "../http/validation";
import * as repo from "../repository";
import { BuyFormSchema, invalidState, rejectedState } from "./fan-forms";
import { type StockStreamOptions, stockStream } from "./fan-stream";
import { createStockWatcher, type StockWatcher } from "./stock-watcher";

export interface FanRoutesOptions extends StockStreamOptions {
  /** Shared by every stream of this process; made here from the shop's database when not given. */
  watcher?: StockWatcher;
}

const isFragment = (c: Context) => c.req.header("hx-request") === "true";

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

  /** The whole page around a buy box, with stock and the database clock read fresh. */
  async function page(c: Context, drop: Drop, purchaseFor: (view: DropWithStock) => PurchaseState) {
    const view = await shop.dropWithStock(drop.id);
    c.header("Cache-Control", "no-store");
    return <DropPage {...view} purchase={purchaseFor(view)} />;
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
    const raw = await c.req.parseBody();
    let state: PurchaseState;
    let status: 200 | 201 | ReturnType<typeof statusFor>;
    try {
      const form = parseWith(BuyFormSchema, raw);
      try {
        const { order, replay } = await shop.purchase(drop.id, {
          fan: form.fan,
          idempotencyKey: form.idempotencyKey,
        });
        state = { kind: "bought", order, quantity: drop.quantity, replay };
        status = replay ? 200 : 201;
      } catch (error) {
        const rejected =
          error instanceof DomainError &&
          (await rejectedState(
            error,
            drop,
            form,
            async () => (await shop.dropWithStock(drop.id)).serverTime,
          ));
        if (!rejected) throw error;
        state = rejected;
        status = statusFor(error as DomainError);
        if (error instanceof Busy) c.header("Retry-After", String(error.retryAfterSeconds));
      }
    } catch (error) {
      if (!(error instanceof InvalidInput)) throw error;
      state = invalidState(raw, error);
      status = statusFor(error);
    }
    c.header("Cache-Control", "no-store");
    if (isFragment(c)) return c.html(<Purchase slug={drop.slug} state={state} />, status);
    return c.html(await page(c, drop, () => state), status);
  });

  routes.get("/:slug/stream", async (c) => {
    const drop = await findDrop(c.req.param("slug"));
    if (!drop) return notFound(c);
    return stockStream(c, drop, watcher, options);
  });

  return routes;
}
