/** A drop's life after creation: edits before go-live, pause and resume, cancel. */
import type { Database } from "../db/database";
import type { Bucket } from "../domain/stock-plan";
import type { Drop, DropTerms } from "../domain/types";
import { recordEvents } from "./events";
import { DROP_COLUMNS, type DropRow, toDrop } from "./rows";

/**
 * Terms to change; an absent field keeps its value. `holdSeconds`: 0 makes orders instant, more is checkout
 * with a hold that long. Switching between the two is a fixed term (like the price); a new length on a hold
 * drop is not: it applies to holds given after the change, since each hold keeps its own `expires_at`.
 */
export type DropChanges = Partial<DropTerms> & { holdSeconds?: number | undefined };

export interface DropChangeOutcome {
  /** The drop after the change; undefined when the change was refused or the drop is not this seller's. */
  drop: Drop | undefined;
  found: boolean;
  /** Go-live had not come yet on the database clock. */
  upcoming: boolean;
  cancelled: boolean;
  /**
   * The request changes something that is fixed once the drop is live (price, currency, quantity, go-live,
   * instant orders vs checkout).
   */
  changesFixedTerms: boolean;
}

/**
 * Edits a drop's terms and/or cancels it, in one statement. Fixed terms (price, currency, quantity, go-live,
 * the orders mode) and cancelling are allowed only while go-live is still ahead on the database clock, and
 * only while no unit has sold; a new quantity rebuilds the stock buckets in the same statement from `buckets`.
 *
 * A purchase can only begin at go-live, so the one race is an edit that straddles it. Every fixed-term change
 * therefore also writes every untouched bucket (`remaining = size`: deleted for a rebuild, rewritten as is
 * otherwise) and counts them: at snapshot isolation (DSQL, REPEATABLE READ) a purchase that committed first
 * makes this statement fail with 40001; at READ COMMITTED the re-checked `remaining = size` leaves a bucket
 * out, the count falls short and the quantity written becomes -1, which the drops table's CHECK refuses
 * (23514). Either way nothing is written and the caller tries again, now seeing the drop live.
 */
export async function changeUpcomingDrop(
  db: Database,
  ref: { dropId: string; sellerId: string },
  changes: DropChanges,
  options: { cancel: boolean; buckets: Bucket[] | undefined },
): Promise<DropChangeOutcome> {
  const plan = options.buckets ?? [];
  const { rows } = await db.query<
    { [K in keyof DropRow]: DropRow[K] | null } & {
      upcoming: boolean;
      is_cancelled: boolean;
      changes_fixed: boolean;
    }
  >(
    `WITH current_drop AS (
       SELECT id, bucket_count, starts_at > now() AS upcoming, cancelled_at IS NOT NULL AS is_cancelled,
              ($5::int IS NOT NULL AND $5::int <> price_cents) OR ($6::text IS NOT NULL AND $6::text <> currency)
                OR ($7::int IS NOT NULL AND $7::int <> quantity)
                OR ($8::timestamptz IS NOT NULL AND $8::timestamptz <> starts_at) OR $10::boolean
                OR ($15::int IS NOT NULL AND ($15::int > 0) <> (coalesce(hold_seconds, 0) > 0)) AS changes_fixed,
              $7::int IS NOT NULL AND $7::int <> quantity AS rebuilds
       FROM drops WHERE id = $1::uuid AND seller_id = $2::uuid
     ), allowed AS (
       SELECT * FROM current_drop WHERE NOT is_cancelled AND (upcoming OR NOT changes_fixed)
     ), old_stock AS (
       DELETE FROM stock_buckets s USING allowed
       WHERE s.drop_id = allowed.id AND allowed.rebuilds AND s.remaining = s.size
       RETURNING s.bucket
     ), kept_stock AS (
       UPDATE stock_buckets s SET remaining = s.remaining FROM allowed
       WHERE s.drop_id = allowed.id AND allowed.changes_fixed AND NOT allowed.rebuilds AND s.remaining = s.size
       RETURNING s.bucket
     ), updated AS (
       UPDATE drops d SET
         title = coalesce($3::text, d.title),
         description = coalesce($4::text, d.description),
         price_cents = coalesce($5::int, d.price_cents),
         currency = coalesce($6::text, d.currency),
         quantity = CASE
           WHEN allowed.changes_fixed
             AND (SELECT count(*) FROM old_stock) + (SELECT count(*) FROM kept_stock) <> allowed.bucket_count
           THEN -1 -- a unit sold meanwhile: the CHECK on quantity aborts the whole statement
           ELSE coalesce($7::int, d.quantity) END,
         starts_at = coalesce($8::timestamptz, d.starts_at),
         max_per_fan = coalesce($9::int, d.max_per_fan),
         bucket_count = CASE WHEN allowed.rebuilds THEN $11::int ELSE d.bucket_count END,
         cancelled_at = CASE WHEN $10::boolean THEN now() ELSE d.cancelled_at END,
         -- Instant drops store NULL, as insertDropWithStock does.
         hold_seconds = CASE WHEN $15::int IS NULL THEN d.hold_seconds ELSE nullif($15::int, 0) END
       FROM allowed WHERE d.id = allowed.id
       RETURNING ${prefixed("d")}, allowed.rebuilds
     ), cancel_event AS (
       -- The outbox's drop.cancelled, in the statement that cancels (only a drop not yet cancelled gets here).
       INSERT INTO events (drop_id, type, data)
       SELECT updated.id, 'drop.cancelled', '{}' FROM updated WHERE $10::boolean
       RETURNING id
     ), new_stock AS (
       INSERT INTO stock_buckets (drop_id, bucket, first_unit, size, remaining)
       SELECT updated.id, plan.bucket, plan.first_unit, plan.size, plan.size
       FROM updated, unnest($12::int[], $13::int[], $14::int[]) AS plan(bucket, first_unit, size)
       WHERE updated.rebuilds
       RETURNING bucket
     )
     SELECT c.upcoming, c.is_cancelled, c.changes_fixed, ${prefixed("u")}
     FROM current_drop c LEFT JOIN updated u ON true`,
    [
      ref.dropId,
      ref.sellerId,
      changes.title ?? null,
      changes.description ?? null,
      changes.priceCents ?? null,
      changes.currency ?? null,
      changes.quantity ?? null,
      changes.startsAt?.toISOString() ?? null,
      changes.maxPerFan ?? null,
      options.cancel,
      plan.length,
      plan.map((b) => b.bucket),
      plan.map((b) => b.firstUnit),
      plan.map((b) => b.size),
      changes.holdSeconds ?? null,
    ],
  );
  const row = rows[0];
  if (!row)
    return { drop: undefined, found: false, upcoming: false, cancelled: false, changesFixedTerms: false };
  return {
    drop: row.id === null ? undefined : toDrop(row as DropRow),
    found: true,
    upcoming: row.upcoming,
    cancelled: row.is_cancelled,
    changesFixedTerms: row.changes_fixed,
  };
}

/**
 * Turns the kill switch on or off. The purchase statement reads `paused_at` in its own snapshot, so every
 * purchase that starts after this commits is refused; one already running may still finish. A cancelled
 * drop stays cancelled. Returns undefined when the drop is not this seller's.
 */
export function setDropPaused(
  db: Database,
  ref: { dropId: string; sellerId: string },
  paused: boolean,
): Promise<Drop | undefined> {
  // One transaction with the outbox's drop.paused / drop.resumed, recorded only when the switch moved. The
  // row is read FOR UPDATE first, so two sellers' clicks at once cannot both see it move.
  return db.transaction(async (tx) => {
    const before = await tx.query<{ paused: boolean; cancelled: boolean }>(
      `SELECT paused_at IS NOT NULL AS paused, cancelled_at IS NOT NULL AS cancelled FROM drops
       WHERE id = $1::uuid AND seller_id = $2::uuid FOR UPDATE`,
      [ref.dropId, ref.sellerId],
    );
    const { rows } = await tx.query<DropRow>(
      `UPDATE drops SET paused_at = CASE
         WHEN cancelled_at IS NOT NULL THEN paused_at
         WHEN $3::boolean THEN coalesce(paused_at, now())
         ELSE NULL END
       WHERE id = $1::uuid AND seller_id = $2::uuid
       RETURNING ${DROP_COLUMNS}`,
      [ref.dropId, ref.sellerId, paused],
    );
    const was = before.rows[0];
    if (rows[0] && was && !was.cancelled && was.paused !== paused) {
      await recordEvents(tx, [{ dropId: ref.dropId, type: paused ? "drop.paused" : "drop.resumed" }]);
    }
    return rows[0] && toDrop(rows[0]);
  });
}

/** The drop's columns as `alias.column`, for statements that join the drop with other rows. */
function prefixed(alias: string): string {
  return DROP_COLUMNS.split(",")
    .map((column) => `${alias}.${column.trim()}`)
    .join(", ");
}
