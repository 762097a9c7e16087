/**
 * The seller's order management (issue 18 §2, §3): an order as the seller sees it (with its shipping
 * address and fulfilment), the fan's address, and the seller's refund, cancel and fulfil.
 *
 * Refund and cancel end an order the way an ended hold ends (holds.ts): one transaction moves the row from
 * orders to closed_orders, returns its unit through `returnUnits` (the one return path), and writes the
 * event. A unit is thus always in exactly one place (a bucket, returned_units, an orders row), and the
 * unit, the idempotency key and the fan slot are free again under orders' unique constraints.
 */
import type { Database, Queryable } from "../../db/database";
import { unitInVariant, variantOfUnit } from "../../domain/purchase/variants";
import { returnUnits } from "../checkout/holds";
import { type EventType, recordEvents } from "../messages/events";

/** A shipping address as the fan typed it (validated before it gets here: domain/orders/shipping.ts). */
export interface ShippingAddress {
  name: string;
  line1: string;
  line2: string;
  city: string;
  postalCode: string;
  country: string;
}

/**
 * Where an order stands: `placed` is an instant order (final when bought, paid outside the shop), `held`
 * and `paid` a hold drop's, `expired` a hold past its time not swept yet; `refunded` and `cancelled` are
 * the seller's ends.
 */
export type ManagedStatus = "placed" | "held" | "expired" | "paid" | "refunded" | "cancelled";

/** An order as its seller sees it. */
export interface ManagedOrder {
  id: string;
  dropId: string;
  sellerId: string;
  /** 1..quantity within its variant (domain/purchase/variants.ts). */
  unitNo: number;
  /** The variant's position (0 on a drop made without variants). */
  variant: number;
  /** The variant's name and id on a drop of several variants, filled in by the domain (orders/sizes). */
  variantName?: string | undefined;
  variantId?: string | undefined;
  /** The fan as they typed it (coalesce(fan_shown, fan)). */
  fan: string;
  priceCents: number;
  currency: string;
  status: ManagedStatus;
  createdAt: Date;
  paidAt: Date | null;
  paymentRef: string | null;
  /** Whether the order's drop asks for an address. */
  collectShipping: boolean;
  shipping: ShippingAddress | null;
  fulfilledAt: Date | null;
  trackingUrl: string | null;
  /** When the seller refunded or cancelled it. */
  closedAt: Date | null;
  tokenHash: string | null;
}

interface ManagedRow {
  id: string;
  drop_id: string;
  seller_id: string;
  unit_no: number;
  fan: string;
  price_cents: number;
  currency: string;
  status: ManagedStatus;
  created_at: Date;
  paid_at: Date | null;
  payment_ref: string | null;
  collect_shipping: boolean;
  shipping: string | null;
  fulfilled_at: Date | null;
  tracking_url: string | null;
  closed_at: Date | null;
  token_hash: string | null;
}

/** The drop's columns every order read carries (no join: a scalar lookup on the drop's primary key). */
const DROP_OF = (column: string) => `(SELECT d.${column} FROM drops d WHERE d.id = drop_id)`;
const LIVE = `id, drop_id, ${DROP_OF("seller_id")} AS seller_id, unit_no, coalesce(fan_shown, fan) AS fan,
  price_cents, ${DROP_OF("currency")} AS currency,
  CASE WHEN status IS NULL THEN 'placed' WHEN status = 'held' AND expires_at <= now() THEN 'expired'
       ELSE status END AS status,
  created_at, paid_at, payment_ref, coalesce(${DROP_OF("collect_shipping")}, false) AS collect_shipping, shipping,
  fulfilled_at, tracking_url, NULL::timestamptz AS closed_at, token_hash`;
const CLOSED = `id, drop_id, ${DROP_OF("seller_id")} AS seller_id, unit_no, coalesce(fan_shown, fan) AS fan,
  price_cents, ${DROP_OF("currency")} AS currency, status, created_at, paid_at, payment_ref,
  coalesce(${DROP_OF("collect_shipping")}, false) AS collect_shipping, shipping,
  NULL::timestamptz AS fulfilled_at, NULL::text AS tracking_url, closed_at, token_hash`;

const toManagedOrder = (row: ManagedRow): ManagedOrder => ({
  id: row.id,
  dropId: row.drop_id,
  sellerId: row.seller_id,
  unitNo: unitInVariant(row.unit_no),
  variant: variantOfUnit(row.unit_no),
  fan: row.fan,
  priceCents: row.price_cents,
  currency: row.currency,
  status: row.status,
  createdAt: new Date(row.created_at),
  paidAt: row.paid_at === null ? null : new Date(row.paid_at),
  paymentRef: row.payment_ref,
  collectShipping: row.collect_shipping,
  shipping: row.shipping === null ? null : (JSON.parse(row.shipping) as ShippingAddress),
  fulfilledAt: row.fulfilled_at === null ? null : new Date(row.fulfilled_at),
  trackingUrl: row.tracking_url,
  closedAt: row.closed_at === null ? null : new Date(row.closed_at),
  tokenHash: row.token_hash,
});

/** An order of any kind (live or closed by the seller); ended holds (order_history) are not managed. */
export async function findManagedOrder(db: Queryable, orderId: string): Promise<ManagedOrder | undefined> {
  const { rows } = await db.query<ManagedRow>(
    `SELECT ${LIVE} FROM orders WHERE id = $1::uuid
     UNION ALL
     SELECT ${CLOSED} FROM closed_orders WHERE id = $1::uuid`,
    [orderId],
    { name: "managed_order" },
  );
  return rows[0] && toManagedOrder(rows[0]);
}

/**
 * A drop's orders, live and closed, whose unit numbers lie in (afterUnit, afterUnit + span], by unit then
 * time: the seller's order list and the CSV page through a drop this way, one window of units at a time.
 * Add a column here (e.g. the variant) and every reader of ManagedOrder has it.
 */
export async function listManagedOrders(
  db: Database,
  dropId: string,
  afterUnit: number,
  span: number,
): Promise<ManagedOrder[]> {
  const { rows } = await db.query<ManagedRow>(
    `SELECT * FROM (
       SELECT ${LIVE} FROM orders WHERE drop_id = $1::uuid AND unit_no > $2::int AND unit_no <= $2::int + $3::int
       UNION ALL
       SELECT ${CLOSED} FROM closed_orders
       WHERE drop_id = $1::uuid AND unit_no > $2::int AND unit_no <= $2::int + $3::int
     ) AS o
     ORDER BY unit_no, created_at, id`,
    [dropId, afterUnit, span],
    { name: "managed_orders" },
  );
  return rows.map(toManagedOrder);
}

/**
 * The highest unit number in (low, high] that any of the drop's orders, live or closed, carries: 0 for none.
 * A size lowered once live keeps the numbers it handed out, so its orders may lie past its new quantity
 * (docs/variants.md); the order list and the CSV read up to here. Two index lookups on (drop_id, unit_no).
 */
export async function highestOrderedUnit(
  db: Database,
  dropId: string,
  low: number,
  high: number,
): Promise<number> {
  const { rows } = await db.query<{ unit_no: number | null }>(
    `SELECT greatest(
       (SELECT max(unit_no) FROM orders WHERE drop_id = $1::uuid AND unit_no > $2::int AND unit_no <= $3::int),
       (SELECT max(unit_no) FROM closed_orders WHERE drop_id = $1::uuid AND unit_no > $2::int AND unit_no <= $3::int)
     ) AS unit_no`,
    [dropId, low, high],
  );
  return rows[0]?.unit_no ?? 0;
}

/** How many of a drop's live orders still lack the address the drop asks for. */
export async function countAddressMissing(db: Database, dropId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM orders
     WHERE drop_id = $1::uuid AND shipping IS NULL AND (status IS NULL OR status IN ('held', 'paid'))
       AND coalesce((SELECT d.collect_shipping FROM drops d WHERE d.id = $1::uuid), false)`,
    [dropId],
  );
  return rows[0]?.n ?? 0;
}

/**
 * The fan's address on an order not yet fulfilled (a held, paid or instant order): one conditional
 * UPDATE, so an address sent while the seller marks the order fulfilled either lands first or not at all.
 * Undefined when the order is not in that state (fulfilled, refunded, cancelled, unknown).
 */
export async function setShipping(
  db: Queryable,
  orderId: string,
  address: ShippingAddress,
): Promise<ManagedOrder | undefined> {
  const { rows } = await db.query<ManagedRow>(
    `UPDATE orders SET shipping = $2::text
     WHERE id = $1::uuid AND fulfilled_at IS NULL
       AND (status IS NULL OR status = 'paid' OR (status = 'held' AND expires_at > now()))
     RETURNING ${LIVE}`,
    [orderId, JSON.stringify(address)],
    { name: "order_set_shipping" },
  );
  return rows[0] && toManagedOrder(rows[0]);
}

/**
 * Marks a paid or instant order fulfilled (shipped), with its tracking page if given, and writes
 * `order.fulfilled` in the same transaction. Undefined when the order is not in that state.
 */
export function fulfilOrder(
  db: Database,
  orderId: string,
  trackingUrl: string | null,
): Promise<ManagedOrder | undefined> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<ManagedRow>(
      `UPDATE orders SET fulfilled_at = now(), tracking_url = $2::text
       WHERE id = $1::uuid AND fulfilled_at IS NULL AND (status IS NULL OR status = 'paid')
       RETURNING ${LIVE}`,
      [orderId, trackingUrl],
      { name: "order_fulfil" },
    );
    const order = rows[0] && toManagedOrder(rows[0]);
    if (order) await recordOrderEvents(tx, "order.fulfilled", [order]);
    return order;
  });
}

/**
 * Marks up to `limit` of a drop's paid and instant orders fulfilled (not those still missing an address the
 * drop asks for), each with its `order.fulfilled` event, in one transaction; returns how many. The limit
 * keeps a transaction well under DSQL's 3,000 changed rows (each order changes two: itself and its event);
 * the caller repeats until fewer come back.
 */
export function fulfilPaidOrders(db: Database, dropId: string, limit: number): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<ManagedRow>(
      `UPDATE orders SET fulfilled_at = now()
       WHERE id IN (SELECT id FROM orders
                    WHERE drop_id = $1::uuid AND fulfilled_at IS NULL AND (status IS NULL OR status = 'paid')
                      AND (shipping IS NOT NULL
                           OR NOT coalesce((SELECT d.collect_shipping FROM drops d WHERE d.id = $1::uuid), false))
                    ORDER BY unit_no LIMIT $2::int)
         AND fulfilled_at IS NULL AND (status IS NULL OR status = 'paid')
       RETURNING ${LIVE}`,
      [dropId, limit],
      { name: "orders_fulfil_all" },
    );
    await recordOrderEvents(tx, "order.fulfilled", rows.map(toManagedOrder));
    return rows.length;
  });
}

/** What the seller ends an order as; each takes the order only from its own state. */
export type CloseKind = "refunded" | "cancelled";

/** The state an order must be in to be closed so: refund a paid order, cancel an instant one; never once shipped. */
const CLOSABLE: Record<CloseKind, string> = {
  refunded: "status = 'paid'",
  cancelled: "status IS NULL",
};

interface ClosingRow {
  id: string;
  drop_id: string;
  unit_no: number;
  fan: string;
  fan_shown: string | null;
  fan_slot: number;
  price_cents: number;
  payment_ref: string | null;
  paid_at: Date | null;
  shipping: string | null;
  token_hash: string | null;
  created_at: Date;
}

/**
 * Refunds a paid order or cancels an instant one, in one transaction: the order moves to closed_orders,
 * its unit returns to stock (returnUnits), the fan's later orders close up the freed fan slot, the event
 * is written, and for a refund the payment's attempt is opened again as `succeeded` (money taken, not yet
 * settled) with a lease for the caller. The caller then refunds through the provider and settles the
 * attempt; if it dies in between, the payment reconciler finds the open attempt, sees its order is no
 * longer paid, and refunds it: money taken is always settled. Undefined when the order is not closable so.
 */
export function closeOrder(
  db: Database,
  orderId: string,
  kind: CloseKind,
  provider: string,
): Promise<ManagedOrder | undefined> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<ClosingRow>(
      `DELETE FROM orders WHERE id = $1::uuid AND fulfilled_at IS NULL AND ${CLOSABLE[kind]}
       RETURNING id, drop_id, unit_no, fan, fan_shown, fan_slot, price_cents, payment_ref, paid_at, shipping,
                 token_hash, created_at`,
      [orderId],
      { name: `order_close_${kind}` },
    );
    const row = rows[0];
    if (!row) return undefined;
    await tx.query(
      `INSERT INTO closed_orders (id, drop_id, unit_no, fan, fan_shown, price_cents, status, payment_ref, paid_at,
                                  shipping, token_hash, created_at)
       VALUES ($1::uuid, $2::uuid, $3::int, $4::text, $5::text, $6::int, $7::text, $8::text, $9::timestamptz,
               $10::text, $11::text, $12::timestamptz)`,
      [
        row.id,
        row.drop_id,
        row.unit_no,
        row.fan,
        row.fan_shown,
        row.price_cents,
        kind,
        row.payment_ref,
        row.paid_at === null ? null : new Date(row.paid_at).toISOString(),
        row.shipping,
        row.token_hash,
        new Date(row.created_at).toISOString(),
      ],
    );
    await returnUnits(tx, [{ dropId: row.drop_id, unitNo: row.unit_no }]);
    await closeUpFanSlot(tx, row);
    if (kind === "refunded" && row.payment_ref !== null) await reopenPayment(tx, row, provider);
    const closed = await findManagedOrder(tx, orderId);
    await recordOrderEvents(tx, kind === "refunded" ? "order.refunded" : "order.cancelled", [closed!]);
    return closed;
  });
}

/**
 * The instant purchase gives a fan slot (count of the fan's orders) + 1, so a fan's slots must stay 1..count:
 * the fan's highest slot, if above the freed one, moves down into it. A purchase racing this sees either
 * the slot taken (orders_fan_slot_key: it counts again) or free; slots never exceed the limit.
 */
async function closeUpFanSlot(tx: Queryable, row: ClosingRow): Promise<void> {
  await tx.query(
    `UPDATE orders SET fan_slot = $3::int
     WHERE drop_id = $1::uuid AND fan = $2::text AND fan_slot > $3::int
       AND fan_slot = (SELECT max(o.fan_slot) FROM orders o WHERE o.drop_id = $1::uuid AND o.fan = $2::text)`,
    [row.drop_id, row.fan, row.fan_slot],
    { name: "order_close_up_fan_slot" },
  );
}

/**
 * The refunded order's payment: its kept attempt is open again (`succeeded`, leased to the caller for a
 * minute), or, with no attempt on record, a new open one is written. Either way the reconciler settles it.
 */
async function reopenPayment(tx: Queryable, row: ClosingRow, provider: string): Promise<void> {
  const reopened = await tx.query<{ id: string }>(
    `UPDATE payment_attempts
     SET state = 'succeeded', settled_by = NULL, updated_at = now(), lease_until = now() + interval '60 seconds'
     WHERE order_id = $1::uuid AND payment_ref = $2::text AND state = 'kept'
     RETURNING id`,
    [row.id, row.payment_ref],
  );
  if (reopened.rows.length > 0) return;
  await tx.query(
    `INSERT INTO payment_attempts (order_id, drop_id, provider, amount_cents, currency, payment_ref, state,
                                   lease_until)
     VALUES ($1::uuid, $2::uuid, $3::text, $4::int, (SELECT d.currency FROM drops d WHERE d.id = $2::uuid),
             $5::text, 'succeeded', now() + interval '60 seconds')`,
    [row.id, row.drop_id, provider, row.price_cents, row.payment_ref],
  );
}

function recordOrderEvents(tx: Queryable, type: EventType, orders: ManagedOrder[]): Promise<void> {
  return recordEvents(
    tx,
    orders.map((order) => ({
      dropId: order.dropId,
      type,
      orderId: order.id,
      unitNo: order.unitNo,
      data: {
        fan: order.fan,
        priceCents: order.priceCents,
        ...(type === "order.refunded" ? { paymentRef: order.paymentRef, by: "seller" } : {}),
        ...(type === "order.fulfilled" && order.trackingUrl ? { trackingUrl: order.trackingUrl } : {}),
      },
    })),
  );
}

/** The payment attempts of an order that are still open (for the refund's settlement and its tests). */
export async function openAttemptsOfOrder(
  db: Queryable,
  orderId: string,
): Promise<{ id: string; paymentRef: string | null }[]> {
  const { rows } = await db.query<{ id: string; payment_ref: string | null }>(
    `SELECT id, payment_ref FROM payment_attempts
     WHERE order_id = $1::uuid AND state IN ('started', 'requires_action', 'succeeded')`,
    [orderId],
  );
  return rows.map((row) => ({ id: row.id, paymentRef: row.payment_ref }));
}
