/**
 * The offer engine behind draws and waitlists (docs/draws.md): one queue (offer_queue, sql/0131) per drop,
 * in rank order (a draw after its ranking) or join order (a waitlist). An offer is a hold: a `held` orders
 * row with its expiry on the database clock, given to the next waiting entry on a unit that is free (a
 * returned unit, else a bucket's unsold range). So exactly N holds at every moment, as for any hold
 * (see checkout/holds.ts): a unit is in a bucket, in returned_units or in one orders row, and each move is
 * one transaction. When an offer lapses or is released, holds.ts's `endHolds` returns the unit and, in the
 * same transaction, calls `offerFreeUnits`: the unit goes to the next entry before any buyer can see it.
 *
 * Nobody is offered twice at once: an offer's order has the idempotency key 'offer:' || entry id (unique
 * per drop while it is held or paid), and the entry's `order_id` is set only where it is still NULL; a
 * transaction that lost either race throws and is rolled back whole (its units go back where they were).
 */
import { randomBytes } from "node:crypto";
import { type Database, type Queryable, violatedConstraint } from "../../db/database";
import { TryAgain } from "../../domain/purchase/retry";
import { recordEvents } from "../messages/events";
import { claimSql } from "../purchase/purchase-sql";
import { sha256Hex } from "./tokens";

/** A waitlist offer on an instant drop (no hold length of its own) is held this long. */
export const INSTANT_DROP_OFFER_SECONDS = 600;

export interface Offer {
  entryId: string;
  orderId: string;
  unitNo: number;
  fan: string;
  kind: "draw" | "waitlist";
}

interface GateRow {
  hold_seconds: number;
  price_cents: number;
  offers: boolean;
}

interface CandidateRow {
  id: string;
  kind: "draw" | "waitlist";
  fan: string;
  fan_shown: string;
  slot: number;
}

/**
 * Offers up to `limit` free units of a drop to its next waiting entries, inside the caller's transaction.
 * Changes at most 6 rows per offer (unit, order, entry, event; a bucket per bucket touched), so a limit of
 * 250 stays well inside DSQL's 3,000. A draw offers nothing before its ranking is complete, nor once its
 * seller opened the leftovers first-come; a cancelled drop offers nothing, and neither does a paused one: its
 * returned units wait in returned_units (no buyer takes them either: the hold gate refuses a paused drop)
 * until the resume, which offers them in its own transaction (catalog/drop-lifecycle.ts setDropPaused), in
 * rank or list order as ever. The gate is read in this transaction, as the purchase's is in its own.
 */
export async function offerFreeUnits(tx: Queryable, dropId: string, limit: number): Promise<Offer[]> {
  const { rows: gateRows } = await tx.query<GateRow>(
    `SELECT CASE WHEN coalesce(d.hold_seconds, 0) > 0 THEN d.hold_seconds ELSE $2::int END AS hold_seconds,
            d.price_cents,
            d.cancelled_at IS NULL AND d.paused_at IS NULL AND d.starts_at <= now()
              AND coalesce((SELECT w.ranked_at IS NOT NULL AND w.opened_at IS NULL FROM draws w WHERE w.drop_id = d.id),
                           true) AS offers
     FROM drops d WHERE d.id = $1::uuid`,
    [dropId, INSTANT_DROP_OFFER_SECONDS],
  );
  const gate = gateRows[0];
  if (!gate?.offers || limit <= 0) return [];
  const { rows: candidates } = await tx.query<CandidateRow>(
    `SELECT q.id, q.kind, q.fan, q.fan_shown,
            (SELECT min(slot)::int FROM generate_series(1, d.max_per_fan) AS slot
             WHERE NOT EXISTS (SELECT 1 FROM orders o
                               WHERE o.drop_id = q.drop_id AND o.fan = q.fan AND o.fan_slot = slot)) AS slot
     FROM offer_queue q JOIN drops d ON d.id = q.drop_id
     WHERE q.drop_id = $1::uuid AND q.order_id IS NULL AND (q.kind = 'waitlist' OR q.rank IS NOT NULL)
     ORDER BY q.rank NULLS LAST, q.joined_at, q.id
     LIMIT $2::int`,
    [dropId, limit],
  );
  // A waitlisted fan already at the drop's per-fan limit keeps their place until a slot frees.
  const takers = candidates.filter((c) => c.slot !== null);
  if (takers.length === 0) return [];
  const units = await claimFreeUnits(tx, dropId, takers.length);
  if (units.length === 0) return [];
  const chosen = takers.slice(0, units.length);
  const tokens = chosen.map(() => randomBytes(24).toString("base64url"));
  const { rows: placed } = await insertOffers(() =>
    tx.query<{ id: string; unit_no: number; entry_id: string }>(
      `INSERT INTO orders (drop_id, unit_no, fan, fan_slot, price_cents, attempts, idempotency_key,
                         status, expires_at, token_hash, fan_shown)
     SELECT $1::uuid, o.unit_no, o.fan, o.slot, $2::int, 1, 'offer:' || o.entry_id::text,
            'held', now() + $3::int * interval '1 second', o.token_hash, o.fan_shown
     FROM unnest($4::uuid[], $5::int[], $6::text[], $7::int[], $8::text[], $9::text[])
          AS o(entry_id, unit_no, fan, slot, token_hash, fan_shown)
     RETURNING id, unit_no, substr(idempotency_key, 7)::uuid AS entry_id`,
      [
        dropId,
        gate.price_cents,
        gate.hold_seconds,
        chosen.map((c) => c.id),
        units,
        chosen.map((c) => c.fan),
        chosen.map((c) => c.slot),
        tokens.map(sha256Hex),
        chosen.map((c) => c.fan_shown),
      ],
    ),
  );
  const orderOf = new Map(placed.map((row) => [row.entry_id, row]));
  const { rows: updated } = await tx.query<{ id: string }>(
    `UPDATE offer_queue q SET order_id = u.order_id, offer_token = u.token, offered_at = now()
     FROM unnest($2::uuid[], $3::uuid[], $4::text[]) AS u(id, order_id, token)
     WHERE q.drop_id = $1::uuid AND q.id = u.id AND q.order_id IS NULL
     RETURNING q.id`,
    [dropId, chosen.map((c) => c.id), chosen.map((c) => orderOf.get(c.id)?.id), tokens],
  );
  // Another transaction offered one of these entries meanwhile (READ COMMITTED re-checks the row): undo all.
  if (updated.length !== chosen.length) throw new TryAgain("an entry was offered meanwhile");
  const offers: Offer[] = chosen.map((c) => {
    const order = orderOf.get(c.id)!;
    return { entryId: c.id, orderId: order.id, unitNo: order.unit_no, fan: c.fan_shown, kind: c.kind };
  });
  await recordEvents(
    tx,
    offers.map((offer) => ({
      dropId,
      type: offer.kind === "draw" ? "draw.won" : "waitlist.offered",
      orderId: offer.orderId,
      unitNo: offer.unitNo,
      data: { fan: offer.fan, entryId: offer.entryId, holdSeconds: gate.hold_seconds },
    })),
  );
  return offers;
}

/**
 * The offers' INSERT. A unique key it meets (the fan took their slot with a purchase meanwhile, or another
 * transaction offered the same entry) means this transaction lost a race: it is rolled back whole and tried
 * again (TryAgain), never answered as an error, so the sweep or release that called it still succeeds.
 */
async function insertOffers<T>(insert: () => Promise<T>): Promise<T> {
  try {
    return await insert();
  } catch (error) {
    const constraint = violatedConstraint(error);
    if (constraint?.startsWith("orders_")) throw new TryAgain(constraint);
    throw error;
  }
}

/**
 * Takes up to `count` free units: returned units first (lowest numbers), then never-sold units from the
 * buckets. DELETE ... RETURNING and the conditional bucket decrement hand each unit to one transaction.
 */
async function claimFreeUnits(tx: Queryable, dropId: string, count: number): Promise<number[]> {
  const { rows: returned } = await tx.query<{ unit_no: number }>(
    `DELETE FROM returned_units
     WHERE drop_id = $1::uuid AND unit_no IN (
       SELECT unit_no FROM returned_units WHERE drop_id = $1::uuid ORDER BY unit_no LIMIT $2::int)
     RETURNING unit_no`,
    [dropId, count],
  );
  const units = returned.map((row) => row.unit_no).sort((a, b) => a - b);
  const wanted = count - units.length;
  if (wanted <= 0) return units;
  const { rows: taken } = await tx.query<{ before: number; take: number; last_unit: number }>(
    claimSql("$2::int", "0", "0"),
    [dropId, wanted],
  );
  for (const { take, last_unit } of taken) {
    for (let unit = last_unit - take + 1; unit <= last_unit; unit++) units.push(unit);
  }
  return units;
}

/**
 * Drops with entries waiting and units free (returned, or never sold on a ranked draw): the offer sweep's work.
 * A paused drop is left out: it offers nothing until resumed.
 */
export async function dropsWithFreeUnitsAndQueue(db: Queryable, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ drop_id: string }>(
    `SELECT DISTINCT q.drop_id FROM offer_queue q
     WHERE q.order_id IS NULL
       AND EXISTS (SELECT 1 FROM drops d WHERE d.id = q.drop_id AND d.paused_at IS NULL)
       AND (EXISTS (SELECT 1 FROM returned_units r WHERE r.drop_id = q.drop_id)
            OR EXISTS (SELECT 1 FROM stock_buckets s WHERE s.drop_id = q.drop_id AND s.remaining > 0))
     LIMIT $1::int`,
    [limit],
  );
  return rows.map((row) => row.drop_id);
}

/** Whether a drop has entries waiting for a unit (a purchase must not take a unit they are owed). */
export async function hasWaitingEntries(db: Queryable, dropId: string): Promise<boolean> {
  const { rows } = await db.query<{ waiting: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM offer_queue WHERE drop_id = $1::uuid AND order_id IS NULL) AS waiting`,
    [dropId],
  );
  return rows[0]?.waiting ?? false;
}

/**
 * A fan claims a waitlist offer on an instant drop (no payment there): the held offer becomes a placed order
 * (status NULL, as an instant purchase's), with its `order.claimed` event, in one transaction. One conditional
 * UPDATE, true only while the offer is held and unexpired on the database clock: a claim racing the sweep or
 * a pass cannot both win, and the unit stays the one order's (no second unit is ever taken). A hold drop's
 * offers are paid instead (checkout), so the drop must sell instant orders.
 */
export async function claimOffer(db: Database, orderId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ drop_id: string; unit_no: number; fan: string }>(
      `UPDATE orders SET status = NULL
       WHERE id = $1::uuid AND status = 'held' AND expires_at > now() AND idempotency_key LIKE 'offer:%'
         AND EXISTS (SELECT 1 FROM drops d WHERE d.id = orders.drop_id AND coalesce(d.hold_seconds, 0) = 0)
       RETURNING drop_id, unit_no, coalesce(fan_shown, fan) AS fan`,
      [orderId],
    );
    const claimed = rows[0];
    if (!claimed) return false;
    await recordEvents(tx, [
      {
        dropId: claimed.drop_id,
        type: "order.claimed",
        orderId,
        unitNo: claimed.unit_no,
        data: { fan: claimed.fan },
      },
    ]);
    return true;
  });
}
