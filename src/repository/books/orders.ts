/** A drop's books: the audit and the per-unit audit trail. */
import type { Database } from "../../db/database";
import { UNITS_PER_VARIANT } from "../../domain/purchase/variants";
import type { Audit, Order } from "../../domain/types";
import { ORDER_COLUMNS, type OrderRow, toOrder } from "../rows";

/** The drop's books, counted from the tables themselves rather than from anything the app remembers. */
export async function auditDrop(db: Database, dropId: string): Promise<Audit | undefined> {
  const { rows } = await db.query<{
    quantity: number;
    sold: number;
    remaining: number;
    duplicate_units: number;
    units_out_of_range: number;
  }>(
    `SELECT d.quantity,
            (SELECT count(*)::int FROM orders o WHERE o.drop_id = d.id) AS sold,
            (SELECT coalesce(sum(s.remaining), 0)::int FROM stock_buckets s WHERE s.drop_id = d.id)
              + (SELECT count(*)::int FROM returned_units r WHERE r.drop_id = d.id) AS remaining,
            (SELECT count(*)::int FROM (
               SELECT o.unit_no FROM orders o WHERE o.drop_id = d.id GROUP BY o.unit_no HAVING count(*) > 1
             ) AS dup) AS duplicate_units,
            -- A unit outside its variant's 1..quantity (a drop made without variants: outside 1..N).
            (SELECT count(*)::int FROM orders o
              WHERE o.drop_id = d.id AND (o.unit_no < 1
                OR (d.variant_count IS NULL AND o.unit_no > d.quantity)
                OR (d.variant_count IS NOT NULL AND NOT EXISTS (
                      SELECT 1 FROM drop_variants v
                      WHERE v.drop_id = d.id AND v.position = (o.unit_no - 1) / ${UNITS_PER_VARIANT}
                        AND (o.unit_no - 1) % ${UNITS_PER_VARIANT} + 1 <= v.quantity)
                    -- A size lowered once live keeps the numbers it handed out, inside its buckets' ranges.
                    AND NOT EXISTS (
                      SELECT 1 FROM stock_buckets s
                      WHERE s.drop_id = d.id AND o.unit_no BETWEEN s.first_unit AND s.first_unit + s.size - 1)))) AS units_out_of_range
     FROM drops d WHERE d.id = $1::uuid`,
    [dropId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    quantity: row.quantity,
    sold: row.sold,
    remaining: row.remaining,
    oversold: Math.max(0, row.sold - row.quantity),
    duplicateUnits: row.duplicate_units,
    unitsOutOfRange: row.units_out_of_range,
  };
}

/** Units sold per variant position (orders, held and paid included), in one read. */
export async function countVariantSales(db: Database, dropId: string): Promise<Map<number, number>> {
  const { rows } = await db.query<{ position: number; sold: number }>(
    `SELECT (unit_no - 1) / ${UNITS_PER_VARIANT} AS position, count(*)::int AS sold
     FROM orders WHERE drop_id = $1::uuid GROUP BY (unit_no - 1) / ${UNITS_PER_VARIANT}`,
    [dropId],
  );
  return new Map(rows.map((row) => [Number(row.position), row.sold]));
}

/** A drop's checkout books: its hold, where its won units are, and how its ended holds ended. */
export interface CheckoutTotals {
  holdSeconds: number;
  held: number;
  paid: number;
  /** Units back in stock after a hold ended, not sold again yet. */
  returnedUnits: number;
  expired: number;
  released: number;
  refunded: number;
}

/** The checkout's side of a drop's books, counted from its tables (all zero for an instant drop). */
export async function checkoutTotals(db: Database, dropId: string): Promise<CheckoutTotals | undefined> {
  const { rows } = await db.query<CheckoutTotals>(
    `SELECT coalesce(d.hold_seconds, 0) AS "holdSeconds",
            (SELECT count(*)::int FROM orders o WHERE o.drop_id = d.id AND o.status = 'held') AS held,
            (SELECT count(*)::int FROM orders o WHERE o.drop_id = d.id AND o.status = 'paid') AS paid,
            (SELECT count(*)::int FROM returned_units r WHERE r.drop_id = d.id) AS "returnedUnits",
            (SELECT count(*)::int FROM order_history h WHERE h.drop_id = d.id AND h.status = 'expired') AS expired,
            (SELECT count(*)::int FROM order_history h WHERE h.drop_id = d.id AND h.status = 'released') AS released,
            (SELECT count(*)::int FROM order_history h WHERE h.drop_id = d.id AND h.status = 'refunded') AS refunded
     FROM drops d WHERE d.id = $1::uuid`,
    [dropId],
  );
  return rows[0];
}

/**
 * One page of a drop's orders, newest first, after the order `afterOrderId` (keyset paging on
 * (created_at, id); the cursor is an order id so the database's microsecond timestamps are compared exactly).
 */
export async function listOrders(
  db: Database,
  dropId: string,
  limit: number,
  afterOrderId?: string,
): Promise<Order[]> {
  const { rows } = await db.query<OrderRow>(
    `SELECT ${ORDER_COLUMNS} FROM orders
     WHERE drop_id = $1::uuid
       AND ($2::uuid IS NULL
            OR (created_at, id) < (SELECT c.created_at, c.id FROM orders c WHERE c.id = $2::uuid AND c.drop_id = $1::uuid))
     ORDER BY created_at DESC, id DESC
     LIMIT $3::int`,
    [dropId, afterOrderId ?? null, limit],
  );
  return rows.map(toOrder);
}
