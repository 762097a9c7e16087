import type { Database } from "../../db/database";
import type { DropPace, DropSales } from "../../repository";
import * as repo from "../../repository";
import type { Shop, VariantWithStock } from "../shop";
import { statusOf } from "../shop";
import type { Drop, DropStatus, Order, Seller } from "../types";
import { chartOf, type SalesChart } from "./sales-timeline";

/** Orders per second are averaged over this many seconds. */
export const PACE_WINDOW_SECONDS = 10;

/** At most this many new orders are sent per live update; the next update continues where it stopped. */
export const NEW_ORDERS_BATCH = 200;

export interface DropSummary extends DropSales {
  status: DropStatus;
}

export interface DropLive extends DropPace {
  drop: Drop;
  status: DropStatus;
  ordersPerSecond: number;
  /** On a drop of several variants: each one's stock and status, in the seller's order. */
  variants?: VariantWithStock[] | undefined;
}

export interface SalesStory {
  chart: SalesChart;
  /** Set once sold out: how long after go-live the last unit sold. */
  soldOutAfterMs: number | undefined;
}

export interface NewestOrders {
  orders: Order[];
  nextCursor: string | undefined;
  /** Orders the drop had in the same snapshot. */
  seen: number;
}

export interface NewOrdersBatch {
  /** Oldest first. */
  orders: Order[];
  /** More new orders are waiting beyond this batch. */
  more: boolean;
  /** Orders that committed behind the cursor since the view last looked. */
  late: number;
  /** What the view has seen after adding this batch. */
  seen: number;
}

export interface SellerDrops {
  drops: DropSummary[];
  revenue: { currency: string; revenueCents: number }[];
}

/**
 * What a seller sees about their own drops: the list, and per drop its pace and its orders.
 * Every function takes the seller and finds the drop through `shop.findOwnDrop`, so another seller's
 * drop is "not found".
 */
export function createSellerDashboard(db: Database, shop: Shop) {
  return {
    async drops(seller: Seller, limit = 200): Promise<SellerDrops> {
      const [drops, revenue] = await Promise.all([
        repo.listSellerDropSales(db, seller.id, limit),
        repo.sumSellerRevenue(db, seller.id),
      ]);
      return {
        drops: drops.map((d) => ({ ...d, status: statusOf(d.drop, d.remaining, d.serverTime) })),
        revenue,
      };
    },

    async live(seller: Seller, ref: string): Promise<DropLive> {
      const known = await shop.findOwnDrop(seller, ref);
      // Read afresh: another process may have edited, paused or cancelled the drop since it was cached.
      const [drop, pace, variantStock] = await Promise.all([
        repo.findDropById(db, known.id).then((fresh) => fresh ?? known),
        repo.readDropPace(db, known.id, PACE_WINDOW_SECONDS),
        known.variantCount ? repo.readVariantStock(db, known.id) : undefined,
      ]);
      const variants = variantStock
        ? (await shop.currentVariants(drop)).map((variant) => {
            const remaining = variantStock.get(variant.position) ?? 0;
            return { ...variant, remaining, status: statusOf(drop, remaining, pace.serverTime, pace) };
          })
        : undefined;
      return {
        ...pace,
        drop,
        status: statusOf(drop, pace.remaining, pace.serverTime, pace),
        ordersPerSecond: pace.recentOrders / PACE_WINDOW_SECONDS,
        variants,
      };
    },

    /**
     * The sales chart from go-live to now (or to the last order, once sold out) and, once sold out, how
     * long the drop took: the numbers the dashboard freezes into its summary.
     */
    async salesStory(live: DropLive): Promise<SalesStory> {
      const { seconds, lastOrderAfterMs } = await repo.readSalesTimeline(db, live.drop.id);
      const soldOut = live.status === "sold_out" && lastOrderAfterMs !== undefined;
      const untilNowMs = live.serverTime.getTime() - live.drop.startsAt.getTime();
      const spanMs = soldOut ? lastOrderAfterMs : Math.max(untilNowMs, lastOrderAfterMs ?? 0);
      return {
        chart: chartOf(seconds, spanMs / 1000),
        soldOutAfterMs: soldOut ? lastOrderAfterMs : undefined,
      };
    },

    /**
     * The audit trail's newest page, and how many orders the drop had when it was read: the number a live
     * view starts counting from.
     */
    async newestOrders(drop: Drop, limit: number): Promise<NewestOrders> {
      const { orders, total } = await repo.listNewestOrders(db, drop.id, limit + 1);
      const shown = orders.slice(0, limit);
      return { orders: shown, nextCursor: orders.length > limit ? shown.at(-1)?.id : undefined, seen: total };
    },

    /**
     * Orders newer than `sinceOrderId`, oldest first, for a view that has seen `seen` orders so far
     * (unknown: no check).
     * The trail is ordered by (created_at, id), the time each purchase statement started. One that started
     * earlier but committed later than an order already shown lands behind the cursor; such orders cannot
     * be slotted in without knowing which rows the view holds, so they are counted and reported as `late`.
     */
    async newOrders(
      drop: Drop,
      sinceOrderId: string | undefined,
      seen: number | undefined,
    ): Promise<NewOrdersBatch> {
      const { orders, behind } = await repo.listOrdersSince(db, drop.id, NEW_ORDERS_BATCH + 1, sinceOrderId);
      const batch = orders.slice(0, NEW_ORDERS_BATCH);
      return {
        orders: batch,
        more: orders.length > NEW_ORDERS_BATCH,
        late: seen === undefined ? 0 : Math.max(0, behind - seen),
        seen: behind + batch.length,
      };
    },
  };
}

export type SellerDashboard = ReturnType<typeof createSellerDashboard>;
