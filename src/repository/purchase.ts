/** The purchase statement and the idempotency-key lookups around it. */
import type { Database } from "../db/database";
import type { Order } from "../domain/types";
import { ORDER_COLUMNS, type OrderRow, toOrder } from "./rows";

export interface PurchaseAttempt {
  dropId: string;
  fan: string;
  idempotencyKey: string;
  /** The bucket the search for stock starts at, so concurrent buyers spread over the rows. */
  startBucket: number;
  attemptNumber: number;
}

export interface PurchaseOutcome {
  isLive: boolean;
  /** The seller's kill switch was on in the statement's snapshot, so nothing was claimed. */
  isPaused: boolean;
  /** The drop was cancelled in the statement's snapshot, so nothing was claimed. */
  isCancelled: boolean;
  startsAt: Date;
  maxPerFan: number;
  withinLimit: boolean;
  /** The statement's snapshot showed at least one bucket with stock. */
  hadStock: boolean;
  /** The order this key already bought (a replay), if any. */
  existing: Order | undefined;
  /** The order this statement placed, if any. */
  placed: Order | undefined;
}

/**
 * The purchase, in one statement and so in one transaction: find a non-empty bucket, decrement it only if
 * the drop is live on the database clock, stock remains and the fan is within the limit, and insert the
 * order with the unit number the decremented row yields. Returns one row describing what happened, or no
 * row when the drop does not exist.
 */
export async function attemptPurchase(
  db: Database,
  a: PurchaseAttempt,
): Promise<PurchaseOutcome | undefined> {
  const { rows } = await db.query<
    {
      is_live: boolean;
      is_paused: boolean;
      is_cancelled: boolean;
      starts_at: Date;
      max_per_fan: number;
      within_limit: boolean;
      had_stock: boolean;
      is_new: boolean;
      drop_id: string;
    } & { [K in keyof OrderRow]: OrderRow[K] | null }
  >(
    `WITH the_drop AS (
       SELECT id, price_cents, max_per_fan, starts_at, starts_at <= now() AS is_live,
              -- LIFECYCLE (pause / cancel): the kill switch, read in the same snapshot as the stock.
              paused_at IS NOT NULL AS is_paused, cancelled_at IS NOT NULL AS is_cancelled
       FROM drops WHERE id = $1::uuid
     ), existing AS (
       SELECT ${ORDER_COLUMNS} FROM orders WHERE drop_id = $1::uuid AND idempotency_key = $3::text
     ), fan_slot AS (
       SELECT count(*)::int + 1 AS slot FROM orders WHERE drop_id = $1::uuid AND fan = $2::text
     ), chosen AS (
       SELECT bucket FROM stock_buckets
       WHERE drop_id = $1::uuid AND remaining > 0
       ORDER BY bucket >= $4::int DESC, bucket
       LIMIT 1
     ), claimed AS (
       UPDATE stock_buckets AS b SET remaining = b.remaining - 1
       FROM the_drop, fan_slot, chosen
       WHERE b.drop_id = $1::uuid AND b.bucket = chosen.bucket AND b.remaining > 0
         AND the_drop.is_live AND fan_slot.slot <= the_drop.max_per_fan
         AND NOT the_drop.is_paused AND NOT the_drop.is_cancelled -- LIFECYCLE: no claim while paused/cancelled
         AND NOT EXISTS (SELECT 1 FROM existing)
       RETURNING b.first_unit + b.size - 1 - b.remaining AS unit_no
     ), placed AS (
       INSERT INTO orders (drop_id, unit_no, fan, fan_slot, price_cents, attempts, idempotency_key)
       SELECT $1::uuid, claimed.unit_no, $2::text, fan_slot.slot, the_drop.price_cents, $5::int, $3::text
       FROM claimed, fan_slot, the_drop
       RETURNING ${ORDER_COLUMNS}
     )
     SELECT the_drop.is_live, the_drop.is_paused, the_drop.is_cancelled, the_drop.starts_at, the_drop.max_per_fan,
            fan_slot.slot <= the_drop.max_per_fan AS within_limit,
            EXISTS (SELECT 1 FROM chosen) AS had_stock,
            the_drop.id AS drop_id, coalesce(p.id, e.id) AS id, coalesce(p.unit_no, e.unit_no) AS unit_no, coalesce(p.fan, e.fan) AS fan,
            coalesce(p.price_cents, e.price_cents) AS price_cents, coalesce(p.attempts, e.attempts) AS attempts,
            coalesce(p.created_at, e.created_at) AS created_at, p.id IS NOT NULL AS is_new
     FROM the_drop CROSS JOIN fan_slot LEFT JOIN placed p ON true LEFT JOIN existing e ON true`,
    [a.dropId, a.fan, a.idempotencyKey, a.startBucket, a.attemptNumber],
    { name: "attempt_purchase" },
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    isLive: row.is_live,
    isPaused: row.is_paused,
    isCancelled: row.is_cancelled,
    startsAt: new Date(row.starts_at),
    maxPerFan: row.max_per_fan,
    withinLimit: row.within_limit,
    hadStock: row.had_stock,
    existing: row.id !== null && !row.is_new ? toOrder(row as OrderRow) : undefined,
    placed: row.id !== null && row.is_new ? toOrder(row as OrderRow) : undefined,
  };
}

export async function findOrderByKey(
  db: Database,
  dropId: string,
  idempotencyKey: string,
): Promise<Order | undefined> {
  const { rows } = await db.query<OrderRow>(
    `SELECT ${ORDER_COLUMNS} FROM orders WHERE drop_id = $1::uuid AND idempotency_key = $2::text`,
    [dropId, idempotencyKey],
    { name: "find_order_by_key" },
  );
  return rows[0] && toOrder(rows[0]);
}

/** A page of a drop's idempotency keys in ascending order, after `afterKey` (keyset on the unique index). */
export async function listOrderKeys(
  db: Database,
  dropId: string,
  limit: number,
  afterKey?: string,
): Promise<string[]> {
  const { rows } = await db.query<{ idempotency_key: string }>(
    `SELECT idempotency_key FROM orders
     WHERE drop_id = $1::uuid AND ($2::text IS NULL OR idempotency_key > $2::text)
     ORDER BY idempotency_key
     LIMIT $3::int`,
    [dropId, afterKey ?? null, limit],
  );
  return rows.map((row) => row.idempotency_key);
}
