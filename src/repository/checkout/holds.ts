/**
 * Checkout on hold drops: a win claims a unit as `held` with an expiry on the database clock; paying turns
 * it `paid`; release or expiry returns the unit to stock.
 *
 * Where a unit is, at every moment, is exactly one of: a bucket's unsold range (stock_buckets.remaining),
 * returned_units, or an orders row (held or paid). Every move between those places is one transaction
 * (claim: bucket or returned_units -> orders; release/expiry: orders -> returned_units + order_history),
 * so held + paid <= N holds by construction, and orders' UNIQUE (drop_id, unit_no) backs it up.
 * A returned unit keeps its number: it is claimed again from returned_units, never re-derived from a bucket,
 * so unit numbers stay 1..N. Ended holds move to order_history (not a status change in place) so that the
 * unit, the idempotency key and the fan slot are free again under orders' unique constraints.
 *
 * Everything here is multi-statement and goes through `db.transaction`, which all three backends run
 * (DSQL refuses data-modifying CTEs; see purchase.ts). Hold drops are served one buyer per transaction,
 * outside group commit: their rate is bounded by fans who then pay, not by a stampede of instant wins.
 */
import type { Database, Queryable } from "../../db/database";
import { UNITS_PER_VARIANT, unitInVariant, variantOfUnit } from "../../domain/purchase/variants";
import { DRAW_SELLS_SQL } from "../fairness/draws";
import { offerFreeUnits } from "../fairness/offers";
import { type EventType, type NewEvent, recordEvents } from "../messages/events";
import { claimSql, variantRange } from "../purchase/purchase-sql";

/** `placed`: a waitlist offer on an instant drop that its fan claimed (fairness/offers.ts claimOffer). */
export type CheckoutStatus = "held" | "paid" | "expired" | "released" | "refunded" | "placed";

/** An order of a hold drop as the fan and the seller see it. */
export interface CheckoutOrder {
  id: string;
  dropId: string;
  /** 1..quantity within its variant; `variant` is the variant's position (see domain/purchase/variants.ts). */
  unitNo: number;
  variant: number;
  fan: string;
  priceCents: number;
  currency: string;
  attempts: number;
  createdAt: Date;
  status: CheckoutStatus;
  expiresAt: Date;
  paidAt: Date | null;
  paymentRef: string | null;
  tokenHash: string | null;
  /** The database clock when this was read: the hold's time left is expiresAt - readAt. */
  readAt: Date;
}

interface CheckoutRow {
  id: string;
  drop_id: string;
  unit_no: number;
  fan: string;
  price_cents: number;
  currency: string;
  attempts: number;
  created_at: Date;
  status: CheckoutStatus;
  expires_at: Date;
  paid_at: Date | null;
  payment_ref: string | null;
  token_hash: string | null;
  read_at: Date;
}

/** An order row with the columns order_history keeps, as a DELETE ... RETURNING gives it. */
interface EndingRow extends CheckoutRow {
  fan_shown: string | null;
  fan_slot: number;
  idempotency_key: string;
}

/** A held order past its expiry reads as expired even before the sweep has moved it. */
const LIVE_COLUMNS = `id, drop_id, unit_no, coalesce(fan_shown, fan) AS fan, price_cents, attempts, created_at,
  CASE WHEN status = 'held' AND expires_at <= now() THEN 'expired' ELSE status END AS status,
  expires_at, paid_at, payment_ref, token_hash, (SELECT d.currency FROM drops d WHERE d.id = drop_id) AS currency, now() AS read_at`;
const HISTORY_COLUMNS = `id, drop_id, unit_no, coalesce(fan_shown, fan) AS fan, price_cents, attempts, created_at, status, expires_at,
  NULL::timestamptz AS paid_at, payment_ref, token_hash, (SELECT d.currency FROM drops d WHERE d.id = drop_id) AS currency,
  now() AS read_at`;
/** A paid order the seller refunded (repository/orders): its hold's end is when it was refunded. */
const CLOSED_COLUMNS = `id, drop_id, unit_no, coalesce(fan_shown, fan) AS fan, price_cents, 1 AS attempts, created_at, status,
  closed_at AS expires_at, paid_at, payment_ref, token_hash, (SELECT d.currency FROM drops d WHERE d.id = drop_id) AS currency,
  now() AS read_at`;
/** A claimed offer of an instant drop: an instant order now, read on as the offer's outcome. */
const CLAIMED_COLUMNS = `id, drop_id, unit_no, coalesce(fan_shown, fan) AS fan, price_cents, attempts, created_at,
  'placed' AS status, expires_at, NULL::timestamptz AS paid_at, payment_ref, token_hash,
  (SELECT d.currency FROM drops d WHERE d.id = drop_id) AS currency, now() AS read_at`;
const ENDING_COLUMNS = `id, drop_id, unit_no, fan, fan_shown, fan_slot, price_cents, attempts, idempotency_key, created_at,
  status, expires_at, paid_at, payment_ref, token_hash`;

const toCheckoutOrder = (row: CheckoutRow): CheckoutOrder => ({
  id: row.id,
  dropId: row.drop_id,
  unitNo: unitInVariant(row.unit_no),
  variant: variantOfUnit(row.unit_no),
  fan: row.fan,
  priceCents: row.price_cents,
  currency: row.currency,
  attempts: row.attempts,
  createdAt: new Date(row.created_at),
  status: row.status,
  expiresAt: new Date(row.expires_at),
  paidAt: row.paid_at === null ? null : new Date(row.paid_at),
  paymentRef: row.payment_ref,
  tokenHash: row.token_hash,
  readAt: new Date(row.read_at),
});

export interface HoldClaim {
  dropId: string;
  /** The per-fan limit's key (identityKey); `fanShown` is the identity as typed, stored to be shown. */
  fan: string;
  fanShown: string;
  idempotencyKey: string;
  fingerprint: string;
  tokenHash: string;
  attemptNumber: number;
  /** Where the search for stock starts: a bucket, and a unit among the returned ones (spreads contention). */
  startBucket: number;
  startUnit: number;
  /** The variant's position (domain/purchase/variants.ts): only its stock is searched. Absent: 0. */
  variant?: number;
  /** The variant's own price, if it has one; absent or null: the drop's. */
  variantPriceCents?: number | null;
  /** The revision of the drop's sizes the variant was read at (sql/0200); absent: 0. */
  variantsRevision?: number;
}

/** What the database decided for one hold purchase. */
export type HoldOutcome =
  | { kind: "no_drop" }
  | { kind: "existing"; order: CheckoutOrder; fingerprint: string | null }
  | { kind: "placed"; order: CheckoutOrder }
  | {
      kind: "refused";
      isLive: boolean;
      isPaused: boolean;
      isCancelled: boolean;
      startsAt: Date;
      maxPerFan: number;
      /** Stock (bucket ranges + returned units) in the snapshot. */
      hadStock: boolean;
      /** The fan had a free slot (held + paid orders < the limit). */
      withinLimit: boolean;
      /** The drop sells instant orders (purchase.ts), not holds. */
      isInstant: boolean;
      /** The claim's list of sizes is older than the database's (variantsRevision): nothing was claimed. */
      sizesChanged: boolean;
      /** A draw drop: its units go to its entries (fairness/offers.ts) until the seller opens the leftovers. */
      isDraw: boolean;
    }
  /** The snapshot showed stock but another buyer took it first: try again. */
  | { kind: "raced" };

interface GateRow {
  sizes_changed: boolean;
  is_live: boolean;
  is_paused: boolean;
  is_cancelled: boolean;
  starts_at: Date;
  max_per_fan: number;
  price_cents: number;
  hold_seconds: number;
  stock: number;
  free_slot: number | null;
  draw_sells: boolean;
}

/**
 * Claims one unit as held for a fan, in one transaction: the key's existing order if any; else the drop's
 * gate, stock and the fan's lowest free slot; then a returned unit if there is one, else a bucket's next
 * unit; then the held order with its expiry on the database clock.
 */
export function claimHold(db: Database, claim: HoldClaim): Promise<HoldOutcome> {
  return db.transaction(async (tx) => {
    const existing = await findByKey(tx, claim.dropId, claim.idempotencyKey);
    if (existing) return { kind: "existing", ...existing };
    const { rows } = await tx.query<GateRow>(
      `SELECT coalesce(d.variants_revision, 0) <> $4::int AS sizes_changed,
              d.starts_at <= now() AS is_live, d.paused_at IS NOT NULL AS is_paused,
              d.cancelled_at IS NOT NULL AS is_cancelled, d.starts_at, d.max_per_fan, d.price_cents,
              coalesce(d.hold_seconds, 0) AS hold_seconds,
              (SELECT coalesce(sum(s.remaining), 0)::int FROM stock_buckets s
                WHERE s.drop_id = d.id AND ${variantRange("$3::int", "s.")})
                + (SELECT count(*)::int FROM returned_units r
                   WHERE r.drop_id = d.id AND ${variantUnits("$3::int", "r.")}) AS stock,
              (SELECT min(slot)::int FROM generate_series(1, d.max_per_fan) AS slot
                WHERE NOT EXISTS (SELECT 1 FROM orders o
                                  WHERE o.drop_id = d.id AND o.fan = $2::text AND o.fan_slot = slot)) AS free_slot,
              ${DRAW_SELLS_SQL} AS draw_sells
       FROM drops d WHERE d.id = $1::uuid`,
      [claim.dropId, claim.fan, claim.variant ?? 0, claim.variantsRevision ?? 0],
      { name: "hold_gate" },
    );
    const gate = rows[0];
    if (!gate) return { kind: "no_drop" };
    const sells = gate.is_live && !gate.is_paused && !gate.is_cancelled && !gate.sizes_changed;
    if (!sells || !gate.draw_sells || gate.stock <= 0 || gate.free_slot === null || gate.hold_seconds <= 0) {
      return {
        kind: "refused",
        isLive: gate.is_live,
        isPaused: gate.is_paused,
        isCancelled: gate.is_cancelled,
        startsAt: new Date(gate.starts_at),
        maxPerFan: gate.max_per_fan,
        hadStock: gate.stock > 0,
        withinLimit: gate.free_slot !== null,
        isInstant: gate.hold_seconds <= 0,
        sizesChanged: gate.sizes_changed,
        isDraw: !gate.draw_sells,
      };
    }
    const unit = (await claimReturnedUnit(tx, claim)) ?? (await claimBucketUnit(tx, claim));
    if (unit === undefined) return { kind: "raced" };
    const placed = await tx.query<CheckoutRow>(
      `INSERT INTO orders (drop_id, unit_no, fan, fan_slot, price_cents, attempts, idempotency_key,
                           request_fingerprint, status, expires_at, token_hash, fan_shown)
       VALUES ($1::uuid, $2::int, $3::text, $4::int, $5::int, $6::int, $7::text, $8::text, 'held',
               now() + $9::int * interval '1 second', $10::text, $11::text)
       RETURNING ${LIVE_COLUMNS}`,
      [
        claim.dropId,
        unit,
        claim.fan,
        gate.free_slot,
        claim.variantPriceCents ?? gate.price_cents,
        claim.attemptNumber,
        claim.idempotencyKey,
        claim.fingerprint,
        gate.hold_seconds,
        claim.tokenHash,
        claim.fanShown,
      ],
      { name: "hold_insert" },
    );
    return { kind: "placed", order: toCheckoutOrder(placed.rows[0]!) };
  });
}

/** The returned units of one variant (its unit space; see domain/purchase/variants.ts). */
const variantUnits = (position: string, alias = "") =>
  `${alias}unit_no > ${position} * ${UNITS_PER_VARIANT} AND ${alias}unit_no <= ${position} * ${UNITS_PER_VARIANT} + ${UNITS_PER_VARIANT}`;

/**
 * Takes a returned unit of the variant: the first at or above `startUnit` (wrapping), so concurrent buyers aim at
 * different rows. DELETE ... RETURNING hands a unit to one transaction only; a unit taken meanwhile
 * gives no row (READ COMMITTED) or a serialization failure (REPEATABLE READ, DSQL), never a second owner.
 */
async function claimReturnedUnit(tx: Queryable, claim: HoldClaim): Promise<number | undefined> {
  const { rows } = await tx.query<{ unit_no: number }>(
    `DELETE FROM returned_units
     WHERE drop_id = $1::uuid AND unit_no = (
       SELECT unit_no FROM returned_units WHERE drop_id = $1::uuid AND ${variantUnits("$3::int")}
       ORDER BY unit_no >= $2::int DESC, unit_no LIMIT 1)
     RETURNING unit_no`,
    [claim.dropId, claim.startUnit, claim.variant ?? 0],
    { name: "hold_claim_returned" },
  );
  return rows[0]?.unit_no;
}

/** A never-sold unit: the instant purchase's conditional bucket decrement, for a demand of one. */
async function claimBucketUnit(tx: Queryable, claim: HoldClaim): Promise<number | undefined> {
  const { rows } = await tx.query<{ last_unit: number }>(claimSql("1", "$2::int", "$3::int"), [
    claim.dropId,
    claim.startBucket,
    claim.variant ?? 0,
  ]);
  return rows[0]?.last_unit;
}

async function findByKey(tx: Queryable, dropId: string, key: string) {
  const { rows } = await tx.query<CheckoutRow & { request_fingerprint: string | null }>(
    // Held and paid orders only: an instant order's key (a drop switched modes before go-live) is not a hold.
    `SELECT ${LIVE_COLUMNS}, request_fingerprint FROM orders
     WHERE drop_id = $1::uuid AND idempotency_key = $2::text AND status IS NOT NULL`,
    [dropId, key],
    { name: "hold_find_by_key" },
  );
  const row = rows[0];
  return row && { order: toCheckoutOrder(row), fingerprint: row.request_fingerprint };
}

/** The order a key placed on a hold drop, if it is still held or paid (ended holds free their key). */
export function findHoldByKey(db: Database, dropId: string, key: string) {
  return findByKey(db, dropId, key);
}

/**
 * An order of a hold drop, held or paid (orders), ended (order_history) or refunded by the seller
 * (closed_orders); and an offer of an instant drop, held, ended, or claimed (then `placed`).
 */
export async function findCheckoutOrder(db: Queryable, orderId: string): Promise<CheckoutOrder | undefined> {
  const { rows } = await db.query<CheckoutRow>(
    `SELECT ${LIVE_COLUMNS} FROM orders WHERE id = $1::uuid AND status IS NOT NULL
     UNION ALL
     SELECT ${CLAIMED_COLUMNS} FROM orders
     WHERE id = $1::uuid AND status IS NULL AND idempotency_key LIKE 'offer:%'
     UNION ALL
     SELECT ${HISTORY_COLUMNS} FROM order_history WHERE id = $1::uuid
     UNION ALL
     SELECT ${CLOSED_COLUMNS} FROM closed_orders WHERE id = $1::uuid AND status = 'refunded'`,
    [orderId],
    { name: "checkout_order" },
  );
  return rows[0] && toCheckoutOrder(rows[0]);
}

/**
 * Turns a hold into a sale: one conditional UPDATE, true only while the hold is held and unexpired on the
 * database clock. Two payments for one order, or a payment racing the sweep or a release, cannot both
 * win: whoever loses sees no row and refunds.
 */
export function markPaid(
  db: Database,
  orderId: string,
  paymentRef: string,
): Promise<CheckoutOrder | undefined> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<CheckoutRow>(
      `UPDATE orders SET status = 'paid', paid_at = now(), payment_ref = $2::text
       WHERE id = $1::uuid AND status = 'held' AND expires_at > now()
       RETURNING ${LIVE_COLUMNS}`,
      [orderId, paymentRef],
      { name: "hold_mark_paid" },
    );
    const order = rows[0] && toCheckoutOrder(rows[0]);
    if (order) await recordEvents(tx, [orderEvent("order.paid", order, { paymentRef })]);
    return order;
  });
}

/** An outbox event about an order, with what a receiver needs to act on it without asking back. */
function orderEvent(
  type: EventType,
  order: { dropId: string; id: string; unitNo: number; fan: string },
  extra: Record<string, unknown> = {},
): NewEvent {
  return {
    dropId: order.dropId,
    type,
    orderId: order.id,
    unitNo: order.unitNo,
    data: { fan: order.fan, ...extra },
  };
}

/** The fan gives a held unit back: the order ends as released and the unit is in stock at once. */
export function releaseHold(db: Database, orderId: string): Promise<EndedHold[]> {
  return endHolds(
    db,
    `DELETE FROM orders WHERE id = $1::uuid AND status = 'held' AND expires_at > now()
     RETURNING ${ENDING_COLUMNS}`,
    [orderId],
    "released",
  );
}

/**
 * The expiry sweep: up to `limit` holds past their expiry (of one drop, or of all) end as expired and
 * their units return to stock. Idempotent and safe with several processes sweeping at once: the DELETE
 * re-checks `status = 'held' AND expires_at <= now()` on the row it deletes, so a hold paid meanwhile is
 * left alone, and a row deleted by another sweeper is deleted once (READ COMMITTED skips it after waiting;
 * REPEATABLE READ and DSQL abort one transaction with 40001, which the caller retries). The limit keeps a
 * transaction well under DSQL's 3,000 changed rows (each hold changes three).
 */
export function sweepExpiredHolds(db: Database, limit: number, dropId?: string): Promise<EndedHold[]> {
  return endHolds(
    db,
    `DELETE FROM orders
     WHERE id IN (SELECT id FROM orders
                  WHERE expires_at <= now() AND status = 'held' AND ($1::uuid IS NULL OR drop_id = $1::uuid)
                  ORDER BY expires_at LIMIT $2::int)
       AND status = 'held' AND expires_at <= now()
     RETURNING ${ENDING_COLUMNS}`,
    [dropId ?? null, limit],
    "expired",
  );
}

/**
 * A payment that arrived for a hold that had already ended (or lost to another payment) was refunded: the
 * ended order says so. An order still in orders past its expiry is swept first, so the record exists.
 */
export async function recordRefund(
  db: Database,
  orderId: string,
  paymentRef: string,
): Promise<CheckoutOrder | undefined> {
  await sweepOne(db, orderId);
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<CheckoutRow>(
      `UPDATE order_history SET status = 'refunded', payment_ref = $2::text
       WHERE id = $1::uuid
       RETURNING ${HISTORY_COLUMNS}`,
      [orderId, paymentRef],
    );
    const order = rows[0] && toCheckoutOrder(rows[0]);
    // A refund recorded twice (the provider told us twice) is one event: dedupe per order.
    if (order) {
      await tx.query(
        `INSERT INTO events (drop_id, type, order_id, unit_no, data, dedupe)
         VALUES ($1::uuid, 'order.refunded', $2::uuid, $3::int, $4::text, 'order.refunded:' || $2::text)
         ON CONFLICT (drop_id, dedupe) DO NOTHING`,
        [order.dropId, order.id, order.unitNo, JSON.stringify({ fan: order.fan, paymentRef })],
      );
    }
    return order;
  });
}

function sweepOne(db: Database, orderId: string): Promise<EndedHold[]> {
  return endHolds(
    db,
    `DELETE FROM orders WHERE id = $1::uuid AND status = 'held' AND expires_at <= now()
     RETURNING ${ENDING_COLUMNS}`,
    [orderId],
    "expired",
  );
}

/** A unit going back on sale: its drop and its number (a returned unit keeps its number). */
export interface ReturningUnit {
  dropId: string;
  unitNo: number;
}

/**
 * THE one way a unit goes back on sale, inside the transaction that took it from its order: hold expiry and
 * release (endHolds), the seller's refund and cancel (repository/orders). It lands in returned_units, from
 * where the next purchase claims it (claimHold on a hold drop; the purchase statement on an instant drop
 * once the buckets are empty), so whatever else should happen when a unit returns belongs here.
 * @example await returnUnits(tx, [{ dropId, unitNo: 7 }])
 */
export async function returnUnits(tx: Queryable, units: readonly ReturningUnit[]): Promise<void> {
  if (units.length === 0) return;
  await tx.query(
    `INSERT INTO returned_units (drop_id, unit_no)
     SELECT * FROM unnest($1::uuid[], $2::int[])`,
    [units.map((unit) => unit.dropId), units.map((unit) => unit.unitNo)],
    { name: "return_units" },
  );
  // On to the next entry of the drop's draw or waitlist as an offer (fairness/offers.ts), in this same
  // transaction, so a returned unit owed to a waiting fan is never seen free by a buyer. At most six
  // changed rows per unit are added to the caller's transaction.
  const perDrop = new Map<string, number>();
  for (const unit of units) perDrop.set(unit.dropId, (perDrop.get(unit.dropId) ?? 0) + 1);
  for (const [dropId, count] of perDrop) await offerFreeUnits(tx, dropId, count);
}

export interface EndedHold {
  orderId: string;
  dropId: string;
  unitNo: number;
}

/** Deletes held orders (the statement given) and, in the same transaction, keeps their history and returns their units. */
function endHolds(
  db: Database,
  deleteSql: string,
  params: unknown[],
  status: "expired" | "released",
): Promise<EndedHold[]> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<EndingRow>(deleteSql, params);
    if (rows.length === 0) return [];
    const column = <K extends keyof EndingRow>(key: K) => rows.map((row) => row[key]);
    await tx.query(
      `INSERT INTO order_history (id, drop_id, unit_no, fan, fan_slot, price_cents, attempts, idempotency_key,
                                  status, expires_at, token_hash, payment_ref, created_at, fan_shown)
       SELECT h.id, h.drop_id, h.unit_no, h.fan, h.fan_slot, h.price_cents, h.attempts, h.idempotency_key,
              $1::text, h.expires_at, h.token_hash, h.payment_ref, h.created_at, h.fan_shown
       FROM unnest($2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::int[], $7::int[], $8::int[], $9::text[],
                   $10::timestamptz[], $11::text[], $12::text[], $13::timestamptz[], $14::text[])
            AS h(id, drop_id, unit_no, fan, fan_slot, price_cents, attempts, idempotency_key,
                 expires_at, token_hash, payment_ref, created_at, fan_shown)`,
      [
        status,
        column("id"),
        column("drop_id"),
        column("unit_no"),
        column("fan"),
        column("fan_slot"),
        column("price_cents"),
        column("attempts"),
        column("idempotency_key"),
        rows.map((row) => new Date(row.expires_at).toISOString()),
        column("token_hash"),
        column("payment_ref"),
        rows.map((row) => new Date(row.created_at).toISOString()),
        column("fan_shown"),
      ],
    );
    await recordEvents(
      tx,
      rows.map((row) =>
        orderEvent(`order.${status}`, { dropId: row.drop_id, id: row.id, unitNo: row.unit_no, fan: row.fan }),
      ),
    );
    await returnUnits(
      tx,
      rows.map((row) => ({ dropId: row.drop_id, unitNo: row.unit_no })),
    );
    return rows.map((row) => ({ orderId: row.id, dropId: row.drop_id, unitNo: row.unit_no }));
  });
}

/** One claim of a unit on a hold drop: who held it, and what became of the hold. */
export interface UnitClaim {
  unitNo: number;
  orderId: string;
  fan: string;
  status: CheckoutStatus;
  claimedAt: Date;
  /** When a hold ended (expired, released, refunded), or was paid; null while it is held. */
  settledAt: Date | null;
}

/**
 * A hold drop's units and every claim of each, by unit then claim time: the audit trail's answer to
 * "claimed, paid / expired / released, returned to stock, sold again". Units never claimed are left out.
 */
export async function listUnitClaims(db: Database, dropId: string, limit: number): Promise<UnitClaim[]> {
  const { rows } = await db.query<{
    unit_no: number;
    id: string;
    fan: string;
    status: CheckoutStatus;
    created_at: Date;
    settled_at: Date | null;
  }>(
    `SELECT unit_no, id, fan, status, created_at, settled_at FROM (
       SELECT unit_no, id, coalesce(fan_shown, fan) AS fan,
              CASE WHEN status = 'held' AND expires_at <= now() THEN 'expired' ELSE status END AS status,
              created_at, paid_at AS settled_at
       FROM orders WHERE drop_id = $1::uuid AND status IS NOT NULL
       UNION ALL
       SELECT unit_no, id, coalesce(fan_shown, fan) AS fan, status, created_at, ended_at AS settled_at
       FROM order_history WHERE drop_id = $1::uuid
     ) AS claims
     ORDER BY unit_no, created_at, id
     LIMIT $2::int`,
    [dropId, limit],
  );
  return rows.map((row) => ({
    unitNo: row.unit_no,
    orderId: row.id,
    fan: row.fan,
    status: row.status,
    claimedAt: new Date(row.created_at),
    settledAt: row.settled_at === null ? null : new Date(row.settled_at),
  }));
}
