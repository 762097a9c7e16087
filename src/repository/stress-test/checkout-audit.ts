/**
 * A hold drop's books for the Stress Test's checkout audit: every claim of a unit (the held and paid
 * orders, and the ended holds in order_history) and the stock, read from the tables themselves.
 */

import type { Database } from "../../db/database";
import { dropWideUnitSql } from "../catalog/variants";
import type { CheckoutStatus } from "../checkout/holds";

/** One claim of a unit: an order row (held or paid) or an ended hold. */
export interface ClaimRow {
  orderId: string;
  unitNo: number;
  fan: string;
  status: CheckoutStatus;
  /** A held order past its expiry that no sweep has ended yet. */
  lapsed: boolean;
  paymentRef: string | null;
}

export interface CheckoutBooks {
  quantity: number;
  maxPerFan: number;
  holdSeconds: number;
  /** Units in stock: unsold bucket ranges plus returned units. */
  stock: number;
  claims: ClaimRow[];
}

/** The drop's books in one snapshot (one transaction), or undefined for a drop that does not exist. */
export function readCheckoutBooks(db: Database, dropId: string): Promise<CheckoutBooks | undefined> {
  return db.transaction(async (tx) => {
    const drops = await tx.query<{
      quantity: number;
      max_per_fan: number;
      hold_seconds: number;
      stock: number;
    }>(
      `SELECT d.quantity, d.max_per_fan, coalesce(d.hold_seconds, 0) AS hold_seconds,
              (SELECT coalesce(sum(s.remaining), 0)::int FROM stock_buckets s WHERE s.drop_id = d.id)
                + (SELECT count(*)::int FROM returned_units r WHERE r.drop_id = d.id) AS stock
       FROM drops d WHERE d.id = $1::uuid`,
      [dropId],
    );
    const drop = drops.rows[0];
    if (!drop) return undefined;
    const { rows } = await tx.query<{
      id: string;
      unit_no: number;
      fan: string;
      status: CheckoutStatus;
      lapsed: boolean;
      payment_ref: string | null;
    }>(
      // Units counted across a drop's variants (dropWideUnitSql), as the stampede runner counts its wins.
      `SELECT id, ${dropWideUnitSql("o")} AS unit_no, fan, status, status = 'held' AND expires_at <= now() AS lapsed,
              payment_ref
       FROM orders o WHERE drop_id = $1::uuid
       UNION ALL
       SELECT id, ${dropWideUnitSql("h")} AS unit_no, fan, status, false AS lapsed, payment_ref
       FROM order_history h WHERE drop_id = $1::uuid`,
      [dropId],
    );
    return {
      quantity: drop.quantity,
      maxPerFan: drop.max_per_fan,
      holdSeconds: drop.hold_seconds,
      stock: drop.stock,
      claims: rows.map((row) => ({
        orderId: row.id,
        unitNo: row.unit_no,
        fan: row.fan,
        status: row.status,
        lapsed: row.lapsed,
        paymentRef: row.payment_ref,
      })),
    };
  });
}

/** Held orders of the drop (expired or not): none once every hold has been paid, released or swept. */
export async function countHeldOrders(db: Database, dropId: string): Promise<number> {
  const { rows } = await db.query<{ held: number }>(
    `SELECT count(*)::int AS held FROM orders WHERE drop_id = $1::uuid AND status = 'held'`,
    [dropId],
  );
  return rows[0]?.held ?? 0;
}
