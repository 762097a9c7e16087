/**
 * The SQL the purchase's two forms share (see purchase.ts). Parameters: $1 the drop, $2 the members'
 * fans, $3 their idempotency keys (text arrays, one entry per member, member n at index n). The variant
 * (its position) is a parameter of each form's own (see stockCte and claimSql).
 */

import { UNITS_PER_VARIANT } from "../../domain/purchase/variants";
import { ORDER_COLUMNS, type OrderRow, toOrder } from "../rows";
import type { PurchaseOutcome } from "./purchase-types";

/**
 * Who in the batch may buy, as of the statement's snapshot:
 * - `the_drop.sells` is the drop-level gate: every condition that stops a whole drop from selling goes
 *   there, beside `is_live` (with a flag of its own in the outcome, as `is_live` has);
 * - `existing`: members whose key already bought (a replay, or a reused key);
 * - `wanting`: the others, with the fan slot their order would take (fan's orders so far + 1);
 * - `eligible`: those the drop sells to now and whose fan is within the limit, ranked in batch order.
 */
export const READ_CTES = `the_drop AS (
  SELECT id, price_cents, max_per_fan, starts_at, starts_at <= now() AS is_live,
         -- The seller's kill switch (pause) and cancel, read in the same snapshot as the stock.
         paused_at IS NOT NULL AS is_paused, cancelled_at IS NOT NULL AS is_cancelled,
         -- A checkout drop never sells here (holds.ts does), whatever a process's cached drop says.
         coalesce(hold_seconds, 0) > 0 AS is_hold,
         starts_at <= now() AND paused_at IS NULL AND cancelled_at IS NULL AND coalesce(hold_seconds, 0) = 0 AS sells
  FROM drops WHERE id = $1::uuid
), request AS (
  SELECT r.fan, r.idempotency_key, r.n::int AS n
  FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS r(fan, idempotency_key, n)
), existing AS (
  SELECT request.n, ${prefixed("o", ORDER_COLUMNS)}, o.request_fingerprint
  -- Each member's key is probed on its own, on the unique (drop_id, idempotency_key) index: LIMIT keeps
  -- the planner from turning the lookup back into a join. As a join on drop_id, the planner (whose
  -- statistics had not yet seen a new drop's orders) hash-joined every order of the drop, so each
  -- statement read the drop's whole order list: 8,000 rows at 8,000 sold.
  FROM request CROSS JOIN LATERAL (
    SELECT * FROM orders k WHERE k.drop_id = $1::uuid AND k.idempotency_key = request.idempotency_key LIMIT 1
  ) AS o
), wanting AS (
  SELECT request.n,
         (SELECT count(*)::int FROM orders o WHERE o.drop_id = $1::uuid AND o.fan = request.fan) + 1 AS fan_slot
  FROM request
  WHERE NOT EXISTS (SELECT 1 FROM existing WHERE existing.n = request.n)
), eligible AS (
  SELECT wanting.n, wanting.fan_slot, row_number() OVER (ORDER BY wanting.n)::int AS rank
  FROM wanting, the_drop
  WHERE the_drop.sells AND wanting.fan_slot <= the_drop.max_per_fan
)`;

/**
 * The stock buckets of one variant: those whose units lie in its unit space (domain/purchase/variants.ts).
 * `position` is a SQL int expression (a parameter); variant 0 is the whole of a drop made without variants.
 */
export function variantRange(position: string, alias = ""): string {
  return `${alias}first_unit > ${position} * ${UNITS_PER_VARIANT} AND ${alias}first_unit <= ${position} * ${UNITS_PER_VARIANT} + ${UNITS_PER_VARIANT}`;
}

/**
 * The variant's stock in the snapshot: sold out for this statement means this is 0, for every member alike.
 * A member ranked beyond the units left is not told "sold out" (a bucket skipped because it emptied
 * meanwhile may leave units the members ahead of it are still retrying for): it tries again, and hears
 * "sold out" only from a snapshot with no stock at all.
 */
export function stockCte(position: string): string {
  return `stock AS (
  SELECT coalesce(sum(remaining), 0)::int AS total FROM stock_buckets WHERE drop_id = $1::uuid AND ${variantRange(position)}
)`;
}

/**
 * The conditional decrement for `demand` buyers: buckets that still have stock are taken in bucket order,
 * beginning at the `start`-th of them (counting from 0, wrapping round), each giving min(its remaining,
 * demand still unmet). Counting only buckets with stock keeps concurrent statements (lanes 0, 1, 2 ...)
 * on distinct rows as the low buckets empty, while a lone buyer (lane 0) always takes the lowest unit
 * left. A bucket is
 * decremented only if it still holds its take (`remaining >= take`, re-checked on the current row under
 * READ COMMITTED), so a bucket emptied meanwhile is skipped and its buyers try again. Each returned row
 * says which ranks it served (before + 1 .. before + take) and its highest unit: the units a bucket
 * hands out are contiguous and ascending (sql/0003: unit = first_unit + size - 1 - remaining).
 */
export function claimSql(demand: string, start: string, position: string, extraFrom?: string): string {
  return `UPDATE stock_buckets AS b SET remaining = b.remaining - plan.take
    FROM (
      SELECT s.bucket, s.before, least(s.remaining, ${demand} - s.before)::int AS take
      FROM (
        SELECT bucket, remaining,
               (sum(remaining) OVER (ORDER BY turn ROWS UNBOUNDED PRECEDING) - remaining)::int AS before
        FROM (
          SELECT bucket, remaining,
                 mod(row_number() OVER (ORDER BY bucket) - 1 - ${start} % count(*) OVER () + count(*) OVER (),
                     count(*) OVER ()) AS turn
          FROM stock_buckets WHERE drop_id = $1::uuid AND remaining > 0 AND ${variantRange(position)}
        ) AS live
      ) AS s${extraFrom ? `, ${extraFrom}` : ""}
      WHERE s.before < ${demand}
    ) AS plan
    WHERE b.drop_id = $1::uuid AND b.bucket = plan.bucket AND b.remaining >= plan.take
    RETURNING plan.before, plan.take, b.first_unit + b.size - 1 - b.remaining AS last_unit`;
}

/** One row per member, in batch order; `placedJoin` joins the orders this statement placed as `p`. */
export function memberSelect(placedJoin?: string): string {
  const order = ORDER_COLUMNS.split(",").map((column) => column.trim());
  const orderColumns = order.map((c) => (placedJoin ? `coalesce(p.${c}, e.${c}) AS ${c}` : `e.${c} AS ${c}`));
  return `SELECT request.n, the_drop.is_live, the_drop.is_paused, the_drop.is_cancelled, the_drop.is_hold,
         the_drop.starts_at, the_drop.max_per_fan,
         the_drop.price_cents AS drop_price_cents,
         wanting.fan_slot, eligible.rank,
         coalesce(wanting.fan_slot <= the_drop.max_per_fan, true) AS within_limit,
         stock.total > 0 AS had_stock,
         ${orderColumns.join(", ")}, ${placedJoin ? "p.id IS NOT NULL" : "false"} AS is_new,
         e.request_fingerprint AS used_fingerprint
    FROM the_drop CROSS JOIN stock CROSS JOIN request
    LEFT JOIN wanting ON wanting.n = request.n
    LEFT JOIN eligible ON eligible.n = request.n
    LEFT JOIN existing e ON e.n = request.n
    ${placedJoin ?? ""}
    ORDER BY request.n`;
}

export type MemberRow = {
  n: number;
  is_live: boolean;
  is_paused: boolean;
  is_cancelled: boolean;
  is_hold: boolean;
  starts_at: Date;
  max_per_fan: number;
  drop_price_cents: number;
  fan_slot: number | null;
  rank: number | null;
  within_limit: boolean;
  had_stock: boolean;
  is_new: boolean;
  used_fingerprint: string | null;
} & { [K in keyof OrderRow]: OrderRow[K] | null };

export function memberOutcome(row: MemberRow): PurchaseOutcome {
  const order = row.id === null ? undefined : toOrder(row as unknown as OrderRow);
  return {
    isLive: row.is_live,
    isPaused: row.is_paused,
    isCancelled: row.is_cancelled,
    isHold: row.is_hold,
    startsAt: new Date(row.starts_at),
    maxPerFan: row.max_per_fan,
    withinLimit: row.within_limit,
    hadStock: row.had_stock,
    existing: order && !row.is_new ? { order, fingerprint: row.used_fingerprint } : undefined,
    placed: order && row.is_new ? order : undefined,
  };
}

function prefixed(alias: string, columns: string): string {
  return columns
    .split(",")
    .map((column) => `${alias}.${column.trim()}`)
    .join(", ");
}
