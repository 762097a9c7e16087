/**
 * Draw drops and waitlists: their rows (sql/0130 draws, sql/0131 offer_queue). The offers themselves are in
 * offers.ts; how a draw ranks its entries is in domain/fairness/draw-ranking.ts. Every check against the
 * present (entries open, entries closed, the draw due) is on the database clock.
 */
import type { Database, Queryable } from "../../db/database";

export interface DrawRow {
  drop_id: string;
  seed: string;
  commitment: string;
  entries_close_at: Date;
  public_value_source: string | null;
  public_value: string | null;
  frozen_count: number | null;
  ranked_at: Date | null;
  opened_at: Date | null;
  created_at: Date;
  /** Read with the row: whether entries have closed, on the database clock. */
  closed: boolean;
  read_at: Date;
}

export interface NewDraw {
  dropId: string;
  seed: string;
  commitment: string;
  entriesCloseAt: Date;
  publicValueSource: string | null;
}

/** The draw of a new draw drop, in the drop's own transaction (insertDropWithStock). */
export async function insertDraw(tx: Queryable, draw: NewDraw): Promise<void> {
  await tx.query(
    `INSERT INTO draws (drop_id, seed, commitment, entries_close_at, public_value_source)
     VALUES ($1::uuid, $2::text, $3::text, $4::timestamptz, $5::text)`,
    [draw.dropId, draw.seed, draw.commitment, draw.entriesCloseAt.toISOString(), draw.publicValueSource],
  );
}

export async function findDraw(db: Queryable, dropId: string): Promise<DrawRow | undefined> {
  const { rows } = await db.query<DrawRow>(
    `SELECT drop_id, seed, commitment, entries_close_at, public_value_source, public_value, frozen_count,
            ranked_at, opened_at, created_at, entries_close_at <= now() AS closed, now() AS read_at
     FROM draws WHERE drop_id = $1::uuid`,
    [dropId],
  );
  return rows[0];
}

export interface QueueEntryRow {
  id: string;
  kind: "draw" | "waitlist";
  fan_shown: string;
  joined_at: Date;
  rank: number | null;
}

export type EnterOutcome =
  | { kind: "entered"; entry: QueueEntryRow; created: boolean }
  | { kind: "refused"; reason: "no_drop" | "not_live" | "closed" | "cancelled" | "not_draw" };

/**
 * Enters a fan in a draw: one INSERT that the database allows only between go-live and the close (its own
 * clock), once per fan (UNIQUE (drop_id, fan)); a second entry answers the first.
 */
export async function enterDraw(
  db: Queryable,
  entry: { dropId: string; fan: string; fanShown: string },
): Promise<EnterOutcome> {
  const { rows } = await db.query<QueueEntryRow>(
    `INSERT INTO offer_queue (drop_id, kind, fan, fan_shown)
     SELECT d.id, 'draw', $2::text, $3::text FROM drops d JOIN draws w ON w.drop_id = d.id
     WHERE d.id = $1::uuid AND d.starts_at <= now() AND d.cancelled_at IS NULL AND w.entries_close_at > now()
     ON CONFLICT (drop_id, fan) DO NOTHING
     RETURNING id, kind, fan_shown, joined_at, rank`,
    [entry.dropId, entry.fan, entry.fanShown],
  );
  if (rows[0]) return { kind: "entered", entry: rows[0], created: true };
  return explainRefusal(db, entry.dropId, entry.fan, "draw");
}

/**
 * Puts a fan on a first-come drop's waitlist: allowed once the drop is live and has no unit free (sold out,
 * or every remaining unit held), never on a draw drop; once per fan.
 */
export async function joinWaitlist(
  db: Queryable,
  entry: { dropId: string; fan: string; fanShown: string },
): Promise<EnterOutcome | { kind: "refused"; reason: "units_free" }> {
  const { rows } = await db.query<QueueEntryRow>(
    `INSERT INTO offer_queue (drop_id, kind, fan, fan_shown)
     SELECT d.id, 'waitlist', $2::text, $3::text FROM drops d
     WHERE d.id = $1::uuid AND d.starts_at <= now() AND d.cancelled_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM draws w WHERE w.drop_id = d.id)
       AND NOT EXISTS (SELECT 1 FROM stock_buckets s WHERE s.drop_id = d.id AND s.remaining > 0)
       AND NOT EXISTS (SELECT 1 FROM returned_units r WHERE r.drop_id = d.id)
     ON CONFLICT (drop_id, fan) DO NOTHING
     RETURNING id, kind, fan_shown, joined_at, rank`,
    [entry.dropId, entry.fan, entry.fanShown],
  );
  if (rows[0]) return { kind: "entered", entry: rows[0], created: true };
  const refusal = await explainRefusal(db, entry.dropId, entry.fan, "waitlist");
  if (refusal.kind === "refused" && refusal.reason === "closed")
    return { kind: "refused", reason: "units_free" };
  return refusal;
}

async function explainRefusal(
  db: Queryable,
  dropId: string,
  fan: string,
  kind: "draw" | "waitlist",
): Promise<EnterOutcome> {
  const { rows } = await db.query<{
    is_live: boolean;
    is_cancelled: boolean;
    is_draw: boolean;
    entry_id: string | null;
    entry_kind: "draw" | "waitlist" | null;
    fan_shown: string | null;
    joined_at: Date | null;
    rank: number | null;
  }>(
    `SELECT d.starts_at <= now() AS is_live, d.cancelled_at IS NOT NULL AS is_cancelled,
            EXISTS (SELECT 1 FROM draws w WHERE w.drop_id = d.id) AS is_draw,
            q.id AS entry_id, q.kind AS entry_kind, q.fan_shown, q.joined_at, q.rank
     FROM drops d LEFT JOIN offer_queue q ON q.drop_id = d.id AND q.fan = $2::text
     WHERE d.id = $1::uuid`,
    [dropId, fan],
  );
  const row = rows[0];
  if (!row) return { kind: "refused", reason: "no_drop" };
  if (row.entry_id && row.entry_kind && row.fan_shown && row.joined_at) {
    const entry = {
      id: row.entry_id,
      kind: row.entry_kind,
      fan_shown: row.fan_shown,
      joined_at: row.joined_at,
    };
    return { kind: "entered", entry: { ...entry, rank: row.rank }, created: false };
  }
  if (row.is_draw !== (kind === "draw")) return { kind: "refused", reason: "not_draw" };
  if (row.is_cancelled) return { kind: "refused", reason: "cancelled" };
  if (!row.is_live) return { kind: "refused", reason: "not_live" };
  return { kind: "refused", reason: "closed" };
}

/** A fan leaves a waitlist; an entry already offered a unit stays (its offer is theirs to pay or let lapse). */
export async function leaveWaitlist(db: Queryable, dropId: string, fan: string): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    `DELETE FROM offer_queue WHERE drop_id = $1::uuid AND fan = $2::text AND kind = 'waitlist' AND order_id IS NULL
     RETURNING id`,
    [dropId, fan],
  );
  return rows.length > 0;
}

/** One fan's entry and what became of it, as of one read. */
export interface EntryStateRow {
  id: string;
  kind: "draw" | "waitlist";
  rank: number | null;
  joined_at: Date;
  order_id: string | null;
  offer_token: string | null;
  order_status: "held" | "paid" | null;
  hold_live: boolean | null;
  expires_at: Date | null;
  unit_no: number | null;
  ended: boolean;
  /** Waiting entries ahead of this one, plus one; null once offered. */
  position: number | null;
  ranked: boolean | null;
  paid_units: number;
  quantity: number;
  cancelled: boolean;
  opened: boolean;
}

export async function findEntryState(
  db: Queryable,
  dropId: string,
  fan: string,
): Promise<EntryStateRow | undefined> {
  const { rows } = await db.query<EntryStateRow>(
    `SELECT q.id, q.kind, q.rank, q.joined_at, q.order_id, q.offer_token,
            -- A claimed offer of an instant drop is a placed order (status NULL): the fan has their unit.
            CASE WHEN o.id IS NOT NULL AND o.status IS NULL THEN 'paid' ELSE o.status END AS order_status,
            o.expires_at > now() AS hold_live,
            coalesce(o.expires_at, h.expires_at) AS expires_at, coalesce(o.unit_no, h.unit_no) AS unit_no,
            h.id IS NOT NULL AS ended,
            CASE WHEN q.order_id IS NULL THEN
              (SELECT count(*)::int FROM offer_queue p
               WHERE p.drop_id = q.drop_id AND p.order_id IS NULL
                 AND (coalesce(p.rank, 0), p.joined_at, p.id) < (coalesce(q.rank, 0), q.joined_at, q.id)) + 1
            END AS position,
            w.ranked_at IS NOT NULL AS ranked,
            (SELECT count(*)::int FROM orders x
             WHERE x.drop_id = q.drop_id AND (x.status = 'paid' OR x.status IS NULL)) AS paid_units,
            d.quantity, d.cancelled_at IS NOT NULL AS cancelled, w.opened_at IS NOT NULL AS opened
     FROM offer_queue q JOIN drops d ON d.id = q.drop_id
     LEFT JOIN draws w ON w.drop_id = q.drop_id
     LEFT JOIN orders o ON o.id = q.order_id
     LEFT JOIN order_history h ON h.id = q.order_id
     WHERE q.drop_id = $1::uuid AND q.fan = $2::text`,
    [dropId, fan],
  );
  return rows[0];
}

/**
 * Draws with work: entries closed (`graceSeconds` ago) and not ranked yet, whose list is still to freeze or
 * whose named public value is known (a frozen list waiting for its public value has nothing to do).
 */
export async function dueDraws(db: Queryable, graceSeconds: number, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ drop_id: string }>(
    `SELECT drop_id FROM draws
     WHERE ranked_at IS NULL AND entries_close_at + $1::int * interval '1 second' <= now()
       AND (frozen_count IS NULL OR public_value_source IS NULL OR public_value IS NOT NULL)
     LIMIT $2::int`,
    [graceSeconds, limit],
  );
  return rows.map((row) => row.drop_id);
}

/**
 * Freezes a draw's entry list: records how many entries it ranks, once (the first process to get here),
 * only after the close plus `graceSeconds` (an entry's INSERT began before the close and may commit a little
 * after it; statement timeouts bound that). It does not wait for a named public value: the list is frozen
 * and published first, and the value, known only later, can then no longer be fitted to it. Answers the
 * frozen count.
 */
export async function freezeDraw(
  db: Queryable,
  dropId: string,
  graceSeconds: number,
): Promise<number | null> {
  await db.query(
    `UPDATE draws SET frozen_count = (SELECT count(*)::int FROM offer_queue q WHERE q.drop_id = $1::uuid)
     WHERE drop_id = $1::uuid AND frozen_count IS NULL
       AND entries_close_at + $2::int * interval '1 second' <= now()`,
    [dropId, graceSeconds],
  );
  const { rows } = await db.query<{ frozen_count: number | null }>(
    "SELECT frozen_count FROM draws WHERE drop_id = $1::uuid",
    [dropId],
  );
  return rows[0]?.frozen_count ?? null;
}

/**
 * Closes a Stress Test rehearsal's entries now (database clock), once its fans have all entered: the
 * rehearsal does not wait out a window nobody else can enter in. Only a rehearsal copy's draw, only while
 * still open; answers whether it closed them. A real drop's close time is part of its public terms.
 */
export async function closeRehearsalEntries(db: Queryable, dropId: string): Promise<boolean> {
  const { rows } = await db.query<{ drop_id: string }>(
    `UPDATE draws SET entries_close_at = now()
     WHERE drop_id = $1::uuid AND frozen_count IS NULL AND entries_close_at > now()
       AND EXISTS (SELECT 1 FROM drops d WHERE d.id = $1::uuid AND d.is_rehearsal)
     RETURNING drop_id`,
    [dropId],
  );
  return rows.length > 0;
}

/** Every entry of a draw (its pseudonymous reference) with its rank if written: what the ranking reads. */
export async function listDrawEntries(
  db: Queryable,
  dropId: string,
): Promise<{ id: string; rank: number | null }[]> {
  const { rows } = await db.query<{ id: string; rank: number | null }>(
    "SELECT id, rank FROM offer_queue WHERE drop_id = $1::uuid AND kind = 'draw' ORDER BY rank NULLS LAST, id",
    [dropId],
  );
  return rows;
}

/**
 * Writes one chunk of ranks (at most ~1,000 rows: one transaction, under DSQL's 3,000). Only ranks not yet
 * written change, so a second process, or a rerun after a crash, writes the same ranks or nothing.
 */
export async function writeRanks(
  db: Queryable,
  dropId: string,
  ids: string[],
  ranks: number[],
): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE offer_queue q SET rank = u.rank
     FROM unnest($2::uuid[], $3::int[]) AS u(id, rank)
     WHERE q.drop_id = $1::uuid AND q.id = u.id AND q.rank IS NULL
     RETURNING q.id`,
    [dropId, ids, ranks],
  );
  return rows.length;
}

/** Marks a draw ranked once every entry has its rank; true for the process that marked it. */
export async function finishRanking(db: Queryable, dropId: string): Promise<boolean> {
  const { rows } = await db.query<{ drop_id: string }>(
    `UPDATE draws SET ranked_at = now()
     WHERE drop_id = $1::uuid AND ranked_at IS NULL AND frozen_count IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM offer_queue q WHERE q.drop_id = $1::uuid AND q.rank IS NULL)
     RETURNING drop_id`,
    [dropId],
  );
  return rows.length > 0;
}

/** The seller publishes the public value they named, once, after the entry list froze (and was published). */
export async function setPublicValue(db: Queryable, dropId: string, value: string): Promise<boolean> {
  const { rows } = await db.query<{ drop_id: string }>(
    `UPDATE draws SET public_value = $2::text
     WHERE drop_id = $1::uuid AND public_value IS NULL AND public_value_source IS NOT NULL
       AND frozen_count IS NOT NULL
     RETURNING drop_id`,
    [dropId, value],
  );
  return rows.length > 0;
}

/**
 * After a ranked draw's list ran out (no entry waits), the seller opens the leftover units first-come:
 * purchases (holds.ts) then sell them like any hold drop's.
 */
export async function openDrawLeftovers(db: Queryable, dropId: string): Promise<boolean> {
  const { rows } = await db.query<{ drop_id: string }>(
    `UPDATE draws SET opened_at = now()
     WHERE drop_id = $1::uuid AND ranked_at IS NOT NULL AND opened_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM offer_queue q WHERE q.drop_id = $1::uuid AND q.order_id IS NULL)
     RETURNING drop_id`,
    [dropId],
  );
  return rows.length > 0;
}

/** How a drop's draw or waitlist went: entries, still waiting, offers made and what became of them. */
export interface QueueStats {
  entries: number;
  waiting: number;
  offered: number;
  held: number;
  paid: number;
  lapsed: number;
}

export async function queueStats(db: Database, dropId: string): Promise<QueueStats> {
  const { rows } = await db.query<QueueStats>(
    `SELECT count(*)::int AS entries,
            count(*) FILTER (WHERE q.order_id IS NULL)::int AS waiting,
            count(q.order_id)::int AS offered,
            count(*) FILTER (WHERE o.status = 'held')::int AS held,
            count(*) FILTER (WHERE o.status = 'paid' OR (o.id IS NOT NULL AND o.status IS NULL))::int AS paid,
            count(h.id)::int AS lapsed
     FROM offer_queue q
     LEFT JOIN orders o ON o.id = q.order_id
     LEFT JOIN order_history h ON h.id = q.order_id
     WHERE q.drop_id = $1::uuid`,
    [dropId],
  );
  return rows[0]!;
}

/** A draw drop refuses purchases until its seller opened the leftovers (the hold gate reads this). */
export const DRAW_SELLS_SQL = `NOT EXISTS (SELECT 1 FROM draws w WHERE w.drop_id = d.id AND w.opened_at IS NULL)`;
