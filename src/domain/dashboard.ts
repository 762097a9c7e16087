import type { Database } from "../db/database";
import type { DropPace, DropSales } from "../repository";
import * as repo from "../repository";
import type { Shop } from "./shop";
import { statusOf } from "./shop";
import type { Drop, DropStatus, Order, Seller } from "./types";

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
      const drop = await shop.findOwnDrop(seller, ref);
      const pace = await repo.readDropPace(db, drop.id, PACE_WINDOW_SECONDS);
      return {
        ...pace,
        drop,
        status: statusOf(drop, pace.remaining, pace.serverTime),
        ordersPerSecond: pace.recentOrders / PACE_WINDOW_SECONDS,
      };
    },

    /**
     * Orders newer than `sinceOrderId`, oldest first, and whether more are waiting beyond this batch.
     * Ordered by (created_at, id): a purchase whose statement started earlier but committed later than one
     * already shown lands behind the cursor and appears on the next full page load, not live.
     */
    async newOrders(
      drop: Drop,
      sinceOrderId: string | undefined,
    ): Promise<{ orders: Order[]; more: boolean }> {
      const orders = await repo.listOrdersSince(db, drop.id, NEW_ORDERS_BATCH + 1, sinceOrderId);
      return { orders: orders.slice(0, NEW_ORDERS_BATCH), more: orders.length > NEW_ORDERS_BATCH };
    },
  };
}

export type SellerDashboard = ReturnType<typeof createSellerDashboard>;
