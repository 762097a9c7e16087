/**
 * The SQL the purchase's two forms share (see purchase.ts). Parameters: $1 the drop, $2 the members'
 * fans, $3 their idempotency keys (text arrays, one entry per member, member n at index n). The variant
 * (its position) is a parameter of each form's own (see stockCte and claimSql).
 */

import { UNITS_PER_VARIANT, unitInVariant, variantOfUnit } from "../../domain/purchase/variants";
import type { Order } from "../../domain/types";
import type { BatchMember, PurchaseOutcome } from "./purchase-types";

/**
 * What the statement returns of an order a member's key had already bought (a replay): all the order says
 * but its drop, which is the batch's. A new order returns only what the database chose (PLACED_COLUMNS):
 * its fan, price and attempt number are what the member asked and the drop charged, already in hand.
 * Every column the statement returns is built by PostgreSQL and parsed by the server for every member.
 */
const EXISTING_COLUMNS = ["id", "unit_no", "fan", "fan_shown", "price_cents", "attempts", "created_at"];
export const PLACED_COLUMNS = "id, unit_no, created_at";

/**
 * Who in the batch may buy, as of the statement's snapshot:
 * - `the_drop.sells` is the drop-level gate: every condition that stops a whole drop from selling goes
 *   there, beside `is_live` (with a flag of its own in the outcome, as `is_live` has);
 * - `existing`: members whose key already bought (a replay, or a reused key);
 * - `wanting`: the others, with the fan slot their order would take (fan's orders so far + 1);
 * - `eligible`: those the drop sells to now and whose fan is within the limit, ranked in batch order.
 */
export const readCtes = (revision: string): string => `the_drop AS (
  SELECT id, price_cents, max_per_fan, starts_at, starts_at <= now() AS is_live,
         -- The seller's kill switch (pause) and cancel, read in the same snapshot as the stock.
         paused_at IS NOT NULL AS is_paused, cancelled_at IS NOT NULL AS is_cancelled,
         -- A checkout drop never sells here (holds.ts does), whatever a process's cached drop says.
         coalesce(hold_seconds, 0) > 0 AS is_hold,
         -- Nor from a stale list of sizes (their places and prices): the batch's must be the database's.
         coalesce(variants_revision, 0) <> ${revision} AS sizes_changed,
         starts_at <= now() AND paused_at IS NULL AND cancelled_at IS NULL AND coalesce(hold_seconds, 0) = 0
           AND coalesce(variants_revision, 0) = ${revision} AS sells
  FROM drops WHERE id = $1::uuid
), request AS (
  SELECT r.fan, r.idempotency_key, r.n::int AS n
  FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS r(fan, idempotency_key, n)
), existing AS (
  SELECT request.n, ${EXISTING_COLUMNS.map((c) => `o.${c}`).join(", ")}, o.request_fingerprint
  -- Each member's key is probed on its own, on the unique (drop_id, idempotency_key) index: LIMIT keeps
  -- the planner from turning the lookup back into a join. As a join on drop_id, the planner (whose
  -- statistics had not yet seen a new drop's orders) hash-joined every order of the drop, so each
  -- statement read the drop's whole order list: 8,000 rows at 8,000 sold.
  FROM request CROSS JOIN LATERAL (
    SELECT ${EXISTING_COLUMNS.join(", ")}, request_fingerprint
    FROM orders k WHERE k.drop_id = $1::uuid AND k.idempotency_key = request.idempotency_key LIMIT 1
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
 * "sold out" only from a snapshot with no stock at all. Units a seller took back (refund, cancel) are not
 * counted here: a batch that finds the buckets empty looks for them in the steps form (RETURNED_CLAIM_SQL),
 * so the statement every purchase runs is the same as before they existed.
 */
export function stockCte(position: string): string {
  return `stock AS (
  SELECT coalesce(sum(remaining), 0)::int AS total FROM stock_buckets WHERE drop_id = $1::uuid AND ${variantRange(position)}
)`;
}

/**
 * Returned units of an instant drop (a seller's refund or cancel), claimed only by a transaction whose read
 * showed every bucket empty (buckets never refill, so the two never serve one buyer): the lowest `demand`
 * ($2) of them, DELETE ... RETURNING, so one transaction gets each (under READ COMMITTED a unit deleted
 * meanwhile is skipped and its buyer tries again; REPEATABLE READ and DSQL abort one of the two).
 * Kept out of the one-statement purchase on purpose: as a data-modifying CTE there, or even as a count in
 * its stock, it cost every purchase time (opening returned_units) while the buckets still had stock.
 */
export const RETURNED_CLAIM_SQL = `DELETE FROM returned_units AS r
    WHERE r.drop_id = $1::uuid AND r.unit_no IN (
      SELECT u.unit_no FROM returned_units AS u
      WHERE u.drop_id = $1::uuid AND u.unit_no > $3::int * ${UNITS_PER_VARIANT} AND u.unit_no <= ($3::int + 1) * ${UNITS_PER_VARIANT}
      ORDER BY u.unit_no LIMIT $2::int)
    RETURNING r.unit_no`;

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

/**
 * One row per member, in batch order; `placedJoin` joins the orders this statement placed as `p` (with
 * PLACED_COLUMNS). The drop's columns repeat on every row; an order's own columns are NULL where the member
 * has none, and fan, price and attempts only come for an existing order (see EXISTING_COLUMNS).
 */
export function memberSelect(placedJoin?: string): string {
  const placed = (c: string) => (placedJoin ? `coalesce(p.${c}, e.${c}) AS ${c}` : `e.${c} AS ${c}`);
  return `SELECT request.n, the_drop.is_live, the_drop.is_paused, the_drop.is_cancelled, the_drop.is_hold,
         the_drop.sizes_changed,
         -- Only a drop not yet live needs its start (a NotLive answer says when): parsing a time costs the
         -- server about 3 µs a row, for every member of every batch.
         CASE WHEN the_drop.is_live THEN NULL ELSE the_drop.starts_at END AS starts_at, the_drop.max_per_fan,
         the_drop.price_cents AS drop_price_cents,
         wanting.fan_slot, eligible.rank,
         coalesce(wanting.fan_slot <= the_drop.max_per_fan, true) AS within_limit,
         stock.total > 0 AS had_stock,
         ${placed("id")}, ${placed("unit_no")}, ${placed("created_at")},
         e.fan, e.fan_shown, e.price_cents, e.attempts,
         ${placedJoin ? "p.id IS NOT NULL" : "false"} AS is_new,
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
  sizes_changed: boolean;
  /** Null when the drop is live. */
  starts_at: Date | null;
  max_per_fan: number;
  drop_price_cents: number;
  fan_slot: number | null;
  rank: number | null;
  within_limit: boolean;
  had_stock: boolean;
  /** The member's order, new or existing; null when it has none. */
  id: string | null;
  unit_no: number | null;
  created_at: Date | null;
  /** Only for an existing order (null for a new one, which is the member's own). */
  fan: string | null;
  fan_shown: string | null;
  price_cents: number | null;
  attempts: number | null;
  is_new: boolean;
  used_fingerprint: string | null;
};

/** A row of the orders the statement placed: what the database chose for the member's new order. */
export interface PlacedRow {
  id: string;
  unit_no: number;
  created_at: Date;
}

/** The member's new order: the database's id, unit and time, and what the member asked at the drop's price. */
export function placedOrder(dropId: string, member: BatchMember, priceCents: number, row: PlacedRow): Order {
  return {
    id: row.id,
    dropId,
    // The unit within its variant, as the fan and the seller see it (domain/purchase/variants.ts).
    unitNo: unitInVariant(row.unit_no),
    variant: variantOfUnit(row.unit_no),
    fan: member.fanShown,
    priceCents,
    attempts: member.attemptNumber,
    createdAt: new Date(row.created_at),
  };
}

/**
 * What the database decided for the member of `row` (`member`, of the batch for `dropId`); `priceCents` is
 * the variant's own price when it has one (the statement charged it), else the drop's.
 */
export function memberOutcome(
  row: MemberRow,
  member: BatchMember,
  dropId: string,
  priceCents: number | null | undefined,
): PurchaseOutcome {
  const isNew = row.is_new && row.id !== null;
  const existing =
    row.id === null || isNew
      ? undefined
      : {
          order: {
            id: row.id,
            dropId,
            unitNo: unitInVariant(row.unit_no!),
            variant: variantOfUnit(row.unit_no!),
            fan: row.fan_shown ?? row.fan!,
            priceCents: row.price_cents!,
            attempts: row.attempts!,
            createdAt: new Date(row.created_at!),
          },
          fingerprint: row.used_fingerprint,
        };
  return {
    isLive: row.is_live,
    isPaused: row.is_paused,
    isCancelled: row.is_cancelled,
    isHold: row.is_hold,
    sizesChanged: row.sizes_changed,
    startsAt: row.starts_at === null ? undefined : new Date(row.starts_at),
    maxPerFan: row.max_per_fan,
    withinLimit: row.within_limit,
    hadStock: row.had_stock,
    existing,
    placed: isNew
      ? placedOrder(dropId, member, priceCents ?? row.drop_price_cents, row as MemberRow & PlacedRow)
      : undefined,
  };
}
