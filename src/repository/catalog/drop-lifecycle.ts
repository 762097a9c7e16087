/** A drop's life after creation: edits before go-live, pause and resume, cancel. */
import type { Database } from "../../db/database";
import type { Bucket } from "../../domain/purchase/stock-plan";
import type { Drop, DropTerms } from "../../domain/types";
import { offerFreeUnits } from "../fairness/offers";
import { recordEvents } from "../messages/events";
import { DROP_COLUMNS, type DropRow, toDrop } from "../rows";
import { insertBuckets } from "./drops";
import { applySizeChanges, changesSizes, type SizeChanges } from "./variant-edits";

export type { SizeChanges, VariantEdit } from "./variant-edits";

/**
 * Terms to change; an absent field keeps its value. `holdSeconds`: 0 makes orders instant, more is checkout
 * with a hold that long. Switching between the two is a fixed term (like the price); a new length on a hold
 * drop is not: it applies to holds given after the change, since each hold keeps its own `expires_at`.
 */
export type DropChanges = Partial<DropTerms> & {
  holdSeconds?: number | undefined;
  /** Only verified fans may buy; fixed once live, like the orders mode. */
  verifiedFans?: boolean | undefined;
  /** A draw drop's close: changed only before go-live (entries open at go-live), and only after go-live. */
  entriesCloseAt?: Date | undefined;
  /** How the drop sells: chosen at creation; naming the other way is refused (drawProblems). */
  sale?: "first_come" | "draw" | undefined;
};

/** A change that would break a draw drop's terms (docs/draws.md): the field, and why. */
export interface DrawProblem {
  path: "holdMinutes" | "verifiedFans" | "startsAt" | "entriesCloseAt" | "sale";
  message: string;
}

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
  /** What the change would break of a draw's terms; non-empty means nothing was written. */
  drawProblems: DrawProblem[];
}

interface EditedRow {
  bucket_count: number;
  upcoming: boolean;
  is_cancelled: boolean;
  changes_fixed: boolean;
  rebuilds: boolean;
  starts_at: Date;
  hold_seconds: number;
  verified_fans: boolean;
  is_draw: boolean;
  entries_close_at: Date | null;
}

/**
 * A draw drop needs a hold (winners pay within it), verified fans (one entry per proven address) and a close
 * after its go-live; how a drop sells is chosen when it is created. Judged on the drop as it would be after
 * the change, read locked in the edit's own transaction, so two edits cannot each pass and together break it.
 */
function drawProblemsOf(current: EditedRow, changes: DropChanges): DrawProblem[] {
  const problems: DrawProblem[] = [];
  if (changes.sale !== undefined && (changes.sale === "draw") !== current.is_draw) {
    problems.push({
      path: "sale",
      message: current.is_draw
        ? "this drop sells by draw: how a drop sells is chosen when it is created"
        : 'this drop sells first come: a draw (sale: "draw") is chosen when a drop is created',
    });
  }
  if (!current.is_draw) {
    if (changes.entriesCloseAt !== undefined)
      problems.push({ path: "entriesCloseAt", message: "entriesCloseAt belongs to a draw drop" });
    return problems;
  }
  if ((changes.holdSeconds ?? current.hold_seconds) <= 0) {
    problems.push({
      path: "holdMinutes",
      message: "a draw drop needs holdMinutes (1-60): winners pay within it",
    });
  }
  if (!(changes.verifiedFans ?? current.verified_fans)) {
    problems.push({
      path: "verifiedFans",
      message: "a draw drop needs verifiedFans: true (one entry per proven address)",
    });
  }
  const startsAt = changes.startsAt ?? new Date(current.starts_at);
  const closeAt = changes.entriesCloseAt ?? new Date(current.entries_close_at!);
  if (closeAt.getTime() <= startsAt.getTime()) {
    problems.push(
      changes.entriesCloseAt
        ? { path: "entriesCloseAt", message: "entriesCloseAt must be after the drop's go-live" }
        : { path: "startsAt", message: "a draw's go-live must come before its entries close" },
    );
  }
  return problems;
}

/**
 * Edits a drop's terms and/or cancels it, in one transaction. Fixed terms (price, currency, quantity,
 * go-live, the orders mode) and cancelling are allowed only while go-live is still ahead on the database
 * clock, and only while no unit has sold; a new quantity rebuilds the stock buckets in the same transaction
 * from `buckets`. Plain statements in an explicit transaction, which every backend runs: DSQL is not known
 * to take data-modifying CTEs (issue 15 §5), and this is no hot path that one statement would speed up.
 *
 * A purchase can only begin at go-live, so the one race is an edit that straddles it. Every fixed-term change
 * therefore also writes every untouched bucket (`remaining = size`: deleted for a rebuild, rewritten as is
 * otherwise) and counts them: at snapshot isolation (DSQL, REPEATABLE READ) a purchase that committed first
 * makes the transaction fail with 40001; at READ COMMITTED the re-checked `remaining = size` leaves a bucket
 * out, the count falls short and the quantity written becomes -1, which the drops table's CHECK refuses
 * (23514). Either way nothing is written and the caller tries again, now seeing the drop live.
 */
export function changeUpcomingDrop(
  db: Database,
  ref: { dropId: string; sellerId: string },
  changes: DropChanges,
  options: { cancel: boolean; buckets: Bucket[] | undefined; sizes?: SizeChanges | undefined },
): Promise<DropChangeOutcome> {
  const plan = options.buckets ?? [];
  return db.transaction(async (tx) => {
    // FOR UPDATE: a second edit waits for this one (READ COMMITTED) or conflicts at commit (snapshot
    // isolation, DSQL), so the draw's terms are judged on the drop as it is when this edit writes.
    const { rows: found } = await tx.query<EditedRow>(
      `SELECT bucket_count, starts_at > now() AS upcoming, cancelled_at IS NOT NULL AS is_cancelled,
              ($3::int IS NOT NULL AND $3::int <> price_cents) OR ($4::text IS NOT NULL AND $4::text <> currency)
                OR ($5::int IS NOT NULL AND $5::int <> quantity)
                OR ($6::timestamptz IS NOT NULL AND $6::timestamptz <> starts_at) OR $7::boolean
                OR ($8::int IS NOT NULL AND ($8::int > 0) <> (coalesce(hold_seconds, 0) > 0))
                OR ($9::boolean IS NOT NULL AND $9::boolean <> coalesce(verified_fans, false))
                -- Entries open at go-live: their close, and how the drop sells, are fixed from then on.
                OR ($10::timestamptz IS NOT NULL AND $10::timestamptz
                    IS DISTINCT FROM (SELECT w.entries_close_at FROM draws w WHERE w.drop_id = drops.id))
                OR ($11::text IS NOT NULL
                    AND ($11::text = 'draw') <> EXISTS (SELECT 1 FROM draws w WHERE w.drop_id = drops.id))
                AS changes_fixed,
              $5::int IS NOT NULL AND $5::int <> quantity AS rebuilds,
              starts_at, coalesce(hold_seconds, 0) AS hold_seconds, coalesce(verified_fans, false) AS verified_fans,
              EXISTS (SELECT 1 FROM draws w WHERE w.drop_id = drops.id) AS is_draw,
              (SELECT w.entries_close_at FROM draws w WHERE w.drop_id = drops.id) AS entries_close_at
       FROM drops WHERE id = $1::uuid AND seller_id = $2::uuid
       FOR UPDATE`,
      [
        ref.dropId,
        ref.sellerId,
        changes.priceCents ?? null,
        changes.currency ?? null,
        changes.quantity ?? null,
        changes.startsAt?.toISOString() ?? null,
        options.cancel,
        changes.holdSeconds ?? null,
        changes.verifiedFans ?? null,
        changes.entriesCloseAt?.toISOString() ?? null,
        changes.sale ?? null,
      ],
    );
    const current = found[0];
    if (!current)
      return {
        drop: undefined,
        found: false,
        upcoming: false,
        cancelled: false,
        changesFixedTerms: false,
        drawProblems: [],
      };
    const outcome = {
      found: true,
      upcoming: current.upcoming,
      cancelled: current.is_cancelled,
      changesFixedTerms: current.changes_fixed,
      drawProblems: options.cancel ? [] : drawProblemsOf(current, changes),
    };
    if (
      current.is_cancelled ||
      !(current.upcoming || !current.changes_fixed) ||
      outcome.drawProblems.length
    ) {
      return { ...outcome, drop: undefined };
    }
    let untouched = current.bucket_count;
    if (current.changes_fixed) {
      const { rows: buckets } = await tx.query(
        current.rebuilds
          ? `DELETE FROM stock_buckets WHERE drop_id = $1::uuid AND remaining = size RETURNING bucket`
          : `UPDATE stock_buckets SET remaining = remaining WHERE drop_id = $1::uuid AND remaining = size
             RETURNING bucket`,
        [ref.dropId],
      );
      untouched = buckets.length;
    }
    const { rows } = await tx.query<DropRow>(
      `UPDATE drops SET
         title = coalesce($2::text, title),
         description = coalesce($3::text, description),
         price_cents = coalesce($4::int, price_cents),
         currency = coalesce($5::text, currency),
         -- A unit sold meanwhile (a bucket no longer untouched): the CHECK on quantity aborts the transaction.
         quantity = CASE WHEN $10::boolean THEN -1 ELSE coalesce($6::int, quantity) END,
         starts_at = coalesce($7::timestamptz, starts_at),
         max_per_fan = coalesce($8::int, max_per_fan),
         bucket_count = CASE WHEN $11::boolean THEN $12::int ELSE bucket_count END,
         cancelled_at = CASE WHEN $9::boolean THEN now() ELSE cancelled_at END,
         -- Instant drops store NULL, as insertDropWithStock does.
         hold_seconds = CASE WHEN $13::int IS NULL THEN hold_seconds ELSE nullif($13::int, 0) END,
         verified_fans = coalesce($14::boolean, verified_fans)
       WHERE id = $1::uuid
       RETURNING ${DROP_COLUMNS}`,
      [
        ref.dropId,
        changes.title ?? null,
        changes.description ?? null,
        changes.priceCents ?? null,
        changes.currency ?? null,
        changes.quantity ?? null,
        changes.startsAt?.toISOString() ?? null,
        changes.maxPerFan ?? null,
        options.cancel,
        untouched !== current.bucket_count,
        current.rebuilds,
        plan.length,
        changes.holdSeconds ?? null,
        changes.verifiedFans ?? null,
      ],
    );
    if (current.rebuilds) await insertBuckets(tx, ref.dropId, plan);
    if (changes.entriesCloseAt && current.is_draw) {
      await tx.query("UPDATE draws SET entries_close_at = $2::timestamptz WHERE drop_id = $1::uuid", [
        ref.dropId,
        changes.entriesCloseAt.toISOString(),
      ]);
    }
    // Sizes and shipping (issue 18), in this transaction: the drop row written above holds off other edits.
    const sizes = options.sizes;
    if (sizes && changesSizes(sizes) && rows[0]) {
      const edited = toDrop(rows[0]);
      await applySizeChanges(
        tx,
        { ...edited, variantCount: edited.variantCount ?? 0, upcoming: current.upcoming },
        sizes,
      );
      const { rows: after } = await tx.query<DropRow>(
        `SELECT ${DROP_COLUMNS} FROM drops WHERE id = $1::uuid`,
        [ref.dropId],
      );
      return { ...outcome, drop: after[0] && toDrop(after[0]) };
    }
    // The outbox's drop.cancelled, in the transaction that cancels (a drop already cancelled returned above).
    if (options.cancel && rows[0]) await recordEvents(tx, [{ dropId: ref.dropId, type: "drop.cancelled" }]);
    return { ...outcome, drop: rows[0] && toDrop(rows[0]) };
  });
}

/** Offers made in the resume's own transaction: about six changed rows each, well under DSQL's 3,000. */
const RESUME_OFFER_CHUNK = 250;

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
      // Units that came back while paused waited (offerFreeUnits offers nothing on a paused drop): they go to
      // the draw's or waitlist's next entries now, in rank or list order, before any buyer sees them free.
      // More than one chunk's worth is left to the offer sweep (fairness tick).
      if (!paused) await offerFreeUnits(tx, ref.dropId, RESUME_OFFER_CHUNK);
    }
    return rows[0] && toDrop(rows[0]);
  });
}
