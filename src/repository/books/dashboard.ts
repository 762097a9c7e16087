/** What a seller's pages show: sales per drop, pace, the live audit trail. */
import type { Database } from "../../db/database";
import type { Drop, Order } from "../../domain/types";
import { DROP_COLUMNS, type DropRow, ORDER_COLUMNS, type OrderRow, toDrop, toOrder } from "../rows";

/** An order that counts as sold: an instant order (no status) or a paid hold (see holds.ts). */
const FINAL = "(o.status IS NULL OR o.status = 'paid')";

export interface DropSales {
  drop: Drop;
  /** Orders that are final: instant orders and paid holds. */
  sold: number;
  /** Units held for fans who have not paid yet (hold drops only; 0 otherwise). */
  held: number;
  remaining: number;
  /** Counted from final orders only: a held unit is not revenue until it is paid. */
  revenueCents: number;
  serverTime: Date;
}

/** A seller's real drops (rehearsals left out), newest first, each with what it has sold so far. */
export async function listSellerDropSales(
  db: Database,
  sellerId: string,
  limit: number,
): Promise<DropSales[]> {
  const { rows } = await db.query<
    DropRow & { sold: number; held: number; remaining: number; revenue_cents: string; server_time: Date }
  >(
    `SELECT ${DROP_COLUMNS},
            (SELECT count(*)::int FROM orders o WHERE o.drop_id = d.id AND ${FINAL}) AS sold,
            (SELECT count(*)::int FROM orders o WHERE o.drop_id = d.id AND o.status = 'held') AS held,
            (SELECT coalesce(sum(o.price_cents), 0)::text FROM orders o WHERE o.drop_id = d.id AND ${FINAL})
              AS revenue_cents,
            (SELECT coalesce(sum(s.remaining), 0)::int FROM stock_buckets s WHERE s.drop_id = d.id)
              + (SELECT count(*)::int FROM returned_units r WHERE r.drop_id = d.id) AS remaining,
            now() AS server_time
     FROM drops d
     WHERE d.seller_id = $1::uuid AND NOT d.is_rehearsal
     ORDER BY d.created_at DESC, d.id DESC
     LIMIT $2::int`,
    [sellerId, limit],
  );
  return rows.map((row) => ({
    drop: toDrop(row),
    sold: row.sold,
    held: row.held,
    remaining: row.remaining,
    revenueCents: Number(row.revenue_cents),
    serverTime: new Date(row.server_time),
  }));
}

export interface DropPace {
  /** Final orders (instant, or paid holds); `held` counts holds awaiting payment apart. */
  sold: number;
  held: number;
  remaining: number;
  revenueCents: number;
  /** Orders placed in the last `windowSeconds`, on the database clock. */
  recentOrders: number;
  newestOrderId: string | undefined;
  serverTime: Date;
  /** The pause and cancel switches as this read saw them. */
  paused: boolean;
  cancelled: boolean;
}

/** What a drop has sold and how fast, counted from the orders and stock rows in one statement. */
export async function readDropPace(db: Database, dropId: string, windowSeconds: number): Promise<DropPace> {
  const { rows } = await db.query<{
    sold: number;
    held: number;
    revenue_cents: string;
    recent_orders: number;
    remaining: number;
    newest_order_id: string | null;
    server_time: Date;
    paused: boolean;
    cancelled: boolean;
  }>(
    `SELECT coalesce(sum(CASE WHEN ${FINAL} THEN 1 ELSE 0 END), 0)::int AS sold,
            coalesce(sum(CASE WHEN o.status = 'held' THEN 1 ELSE 0 END), 0)::int AS held,
            coalesce(sum(CASE WHEN ${FINAL} THEN o.price_cents ELSE 0 END), 0)::text AS revenue_cents,
            coalesce(sum(CASE WHEN o.created_at > now() - $2::int * interval '1 second' THEN 1 ELSE 0 END), 0)::int
              AS recent_orders,
            (SELECT coalesce(sum(s.remaining), 0)::int FROM stock_buckets s WHERE s.drop_id = $1::uuid)
              + (SELECT count(*)::int FROM returned_units r WHERE r.drop_id = $1::uuid) AS remaining,
            (SELECT n.id FROM orders n WHERE n.drop_id = $1::uuid ORDER BY n.created_at DESC, n.id DESC LIMIT 1)
              AS newest_order_id,
            now() AS server_time,
            (SELECT d.paused_at IS NOT NULL FROM drops d WHERE d.id = $1::uuid) AS paused,
            (SELECT d.cancelled_at IS NOT NULL FROM drops d WHERE d.id = $1::uuid) AS cancelled
     FROM orders o WHERE o.drop_id = $1::uuid`,
    [dropId, windowSeconds],
  );
  const row = rows[0]!;
  return {
    sold: row.sold,
    held: row.held,
    remaining: row.remaining,
    revenueCents: Number(row.revenue_cents),
    recentOrders: row.recent_orders,
    newestOrderId: row.newest_order_id ?? undefined,
    serverTime: new Date(row.server_time),
    paused: row.paused === true,
    cancelled: row.cancelled === true,
  };
}

/**
 * The newest page of a drop's orders together with how many orders it has in all, read in one statement so
 * both come from the same snapshot: a live view that starts from this page knows exactly what it has seen.
 */
export async function listNewestOrders(
  db: Database,
  dropId: string,
  limit: number,
): Promise<{ orders: Order[]; total: number }> {
  const { rows } = await db.query<OrderRow & { total: number }>(
    `SELECT ${ORDER_COLUMNS}, count(*) OVER ()::int AS total FROM orders
     WHERE drop_id = $1::uuid
     ORDER BY created_at DESC, id DESC
     LIMIT $2::int`,
    [dropId, limit],
  );
  return { orders: rows.map(toOrder), total: rows[0]?.total ?? 0 };
}

/**
 * Orders placed after the order `sinceOrderId` (all orders when it is absent), oldest first, so a live view
 * can add them above what it shows; keyset on (created_at, id) like `listOrders`. `behind` counts the orders
 * at or before the cursor in the same snapshot: when it exceeds what the view has seen, purchases that
 * started earlier committed later and landed behind the cursor.
 */
export async function listOrdersSince(
  db: Database,
  dropId: string,
  limit: number,
  sinceOrderId?: string,
): Promise<{ orders: Order[]; behind: number }> {
  const { rows } = await db.query<{ [K in keyof OrderRow]: OrderRow[K] | null } & { behind: number }>(
    `WITH cursor_order AS (
       SELECT c.created_at, c.id FROM orders c WHERE c.id = $2::uuid AND c.drop_id = $1::uuid
     ), behind AS (
       SELECT count(*)::int AS behind FROM orders o, cursor_order c
       WHERE o.drop_id = $1::uuid AND (o.created_at, o.id) <= (c.created_at, c.id)
     ), fresh AS (
       SELECT ${ORDER_COLUMNS} FROM orders
       WHERE drop_id = $1::uuid
         AND ($2::uuid IS NULL OR (created_at, id) > (SELECT created_at, id FROM cursor_order))
       ORDER BY created_at ASC, id ASC
       LIMIT $3::int
     )
     SELECT fresh.*, behind.behind FROM behind LEFT JOIN fresh ON true
     ORDER BY fresh.created_at ASC, fresh.id ASC`,
    [dropId, sinceOrderId ?? null, limit],
  );
  const orders = rows.filter((row): row is OrderRow & { behind: number } => row.id !== null).map(toOrder);
  return { orders, behind: rows[0]?.behind ?? 0 };
}

/** A seller's revenue per currency over real drops only: rehearsal sales are not money. */
export async function sumSellerRevenue(
  db: Database,
  sellerId: string,
): Promise<{ currency: string; revenueCents: number }[]> {
  const { rows } = await db.query<{ currency: string; revenue_cents: string }>(
    `SELECT d.currency, sum(o.price_cents)::text AS revenue_cents
     FROM drops d JOIN orders o ON o.drop_id = d.id
     WHERE d.seller_id = $1::uuid AND NOT d.is_rehearsal
     GROUP BY d.currency
     ORDER BY d.currency`,
    [sellerId],
  );
  return rows.map((row) => ({ currency: row.currency, revenueCents: Number(row.revenue_cents) }));
}

/**
 * A drop's orders with unit numbers in (afterUnit, afterUnit + span], by unit: the export's keyset window on
 * the unique (drop_id, unit_no) index. Unit numbers are unique within 1..quantity, so a window never holds
 * more than `span` rows and its cost does not depend on how deep into a big drop it is, whatever plan the
 * database picks.
 */
export async function listOrdersByUnit(
  db: Database,
  dropId: string,
  afterUnit: number,
  span: number,
): Promise<Order[]> {
  const { rows } = await db.query<OrderRow>(
    `SELECT ${ORDER_COLUMNS} FROM orders
     WHERE drop_id = $1::uuid AND unit_no > $2::int AND unit_no <= $2::int + $3::int
     ORDER BY unit_no`,
    [dropId, afterUnit, span],
  );
  return rows.map(toOrder);
}

export interface SalesSecond {
  /** Whole seconds since go-live. */
  second: number;
  orders: number;
}

/**
 * Orders per second since go-live (seconds without orders are absent), and how long after go-live the
 * latest order came: the sales chart, the peak rate and "sold out in …" are all drawn from this one read.
 * Rows are bounded by the drop's length in seconds, whatever its size.
 */
export async function readSalesTimeline(
  db: Database,
  dropId: string,
): Promise<{ seconds: SalesSecond[]; lastOrderAfterMs: number | undefined }> {
  const { rows } = await db.query<{ second: number; orders: number; last_offset_ms: string }>(
    `SELECT greatest(floor(extract(epoch FROM o.created_at - d.starts_at)), 0)::int AS second,
            count(*)::int AS orders,
            (max(extract(epoch FROM o.created_at - d.starts_at)) * 1000)::bigint::text AS last_offset_ms
     FROM orders o JOIN drops d ON d.id = o.drop_id
     WHERE o.drop_id = $1::uuid AND d.id = $1::uuid
     GROUP BY 1 ORDER BY 1`,
    [dropId],
  );
  const last = rows.at(-1);
  return {
    seconds: rows.map((row) => ({ second: row.second, orders: row.orders })),
    lastOrderAfterMs: last ? Math.max(0, Number(last.last_offset_ms)) : undefined,
  };
}
