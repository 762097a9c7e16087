/**
 * The outbox's log of events (sql/0100). Events that describe a change are inserted by `recordEvent` in the
 * transaction of that change. Order creations are not: the purchase is the hot path, so it writes nothing
 * more, and `sequenceDrop` copies new orders into the log after they committed. The same pass gives every
 * unstamped event of the drop its position and fans it out into deliveries (repository/messages/outbox.ts).
 */
import type { Database, Queryable } from "../../db/database";
import { TryAgain } from "../../domain/purchase/retry";
import {
  EVENT_COLUMNS,
  type EventRow,
  type EventType,
  eventVariantSql,
  type StoredEvent,
  toEvent,
} from "../rows";

export const EVENT_TYPES: readonly EventType[] = [
  "order.created",
  "order.held",
  "order.paid",
  "order.released",
  "order.expired",
  "order.refunded",
  "order.cancelled",
  "order.fulfilled",
  "order.claimed",
  "drop.live",
  "drop.sold_out",
  "drop.paused",
  "drop.resumed",
  "drop.cancelled",
  "drop.updated",
  "draw.won",
  "waitlist.offered",
];

export interface NewEvent {
  dropId: string;
  type: EventType;
  orderId?: string | undefined;
  unitNo?: number | undefined;
  data?: Record<string, unknown>;
}

/**
 * Records events inside the caller's transaction (or statement), so they commit or roll back with the change.
 * @example await recordEvents(tx, [{ dropId, type: "drop.paused" }])
 */
export async function recordEvents(tx: Queryable, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.query(
    `INSERT INTO events (drop_id, type, order_id, unit_no, data)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::int[], $5::text[])`,
    [
      events.map((e) => e.dropId),
      events.map((e) => e.type),
      events.map((e) => e.orderId ?? null),
      events.map((e) => e.unitNo ?? null),
      events.map((e) => JSON.stringify(e.data ?? {})),
    ],
  );
}

export type { EventRow, EventType, StoredEvent } from "../rows";

/**
 * The longest an order can stay uncommitted: an order's `created_at` is its transaction's start and it becomes
 * visible at commit, so a sweep at time N sees every order created before N - LOOKBACK. Purchases are bounded
 * by their deadline and statement timeout (seconds); DSQL ends any transaction at 5 minutes.
 */
export const ORDER_LOOKBACK_MINUTES = 10;

/** How often, at most, a drop is swept for late-committed orders while its sweep cursor trails (ms). */
export const SETTLE_EVERY_MS = 5000;

/**
 * Drops whose log may have work; never a Stress Test's rehearsal copy. Each live drop costs an index probe or
 * two: never sequenced; an order (or ended hold) newer than its cursor `orders_through`; a sweep for late
 * commits due (`settled_through` trails the cursor and the last sweep is `settleEveryMs` old); or events not
 * yet stamped. An idle drop whose sweep cursor has passed its newest order costs the probes and nothing more.
 */
export async function dropsToSequence(
  db: Queryable,
  limit: number,
  settleEveryMs: number = SETTLE_EVERY_MS,
): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT d.id FROM drops d LEFT JOIN event_sequences s ON s.drop_id = d.id
     -- A Stress Test's rehearsal copy is not a drop anyone hears of: its sales are practice.
     WHERE d.starts_at <= now() AND NOT d.is_rehearsal AND (
       s.drop_id IS NULL
       OR EXISTS (SELECT 1 FROM orders o WHERE o.drop_id = d.id
                  AND o.created_at > coalesce(s.orders_through, '-infinity'::timestamptz))
       OR EXISTS (SELECT 1 FROM order_history h WHERE h.drop_id = d.id
                  AND h.created_at > coalesce(s.orders_through, '-infinity'::timestamptz))
       OR (coalesce(s.settled_through, s.orders_through - interval '${ORDER_LOOKBACK_MINUTES} minutes') < s.orders_through
           AND (s.settled_at IS NULL OR s.settled_at <= now() - $2::int * interval '1 millisecond')))
     UNION
     SELECT DISTINCT e.drop_id FROM events e JOIN drops d ON d.id = e.drop_id
     WHERE e.position IS NULL AND NOT d.is_rehearsal
     LIMIT $1::int`,
    [limit, settleEveryMs],
  );
  return rows.map((row) => row.id);
}

/** What a pass of the sequencer did for one drop. */
export interface SequencedPass {
  /** Events that got their position in this pass, in position order, with the drop's seller. */
  stamped: StoredEvent[];
  sellerId: string | undefined;
  /** More rows were waiting than one pass takes: run again soon. */
  more: boolean;
  /** This pass swept the drop for late-committed orders (not only those newer than the cursor). */
  swept: boolean;
}

/**
 * One pass of the sequencer over one drop, in one transaction:
 * 1. the drop's sequence row is read FOR UPDATE (PostgreSQL makes a second sequencer wait or fail with 40001;
 *    DSQL fails one of them at commit), and moved on at the end by a conditional UPDATE;
 * 2. `drop.live` is recorded once the drop is live, `drop.sold_out` once its stock reads 0 (stock is read
 *    before orders are copied: at 0 every order has committed, so sold-out comes after the last one);
 * 3. orders (and ended holds) not yet in the log become `order.created` (+ `order.held` for holds). Two
 *    cursors say where to look (no sequence needed, so DSQL is served): a pass reads the orders created at or
 *    after `orders_through`, the newest it copied (an index range, not a rescan); a sweep — at most every
 *    `settleEveryMs`, while `settled_through` trails `orders_through`, and whenever the drop reads sold out —
 *    reads everything after `settled_through` and so catches an order whose transaction began before the
 *    newest copied one but committed after it. A complete sweep moves `settled_through` to its start minus
 *    ORDER_LOOKBACK_MINUTES: no order older than that can still commit;
 * 4. up to `batch` unstamped events get the next positions, oldest first.
 * `fanOut` then runs in the same transaction with the stamped events, so an event is in the deliveries
 * exactly when it has its position. Rows changed stay under DSQL's 3,000 for a batch of 150 (see outbox.ts).
 */
export async function sequenceDrop(
  db: Database,
  dropId: string,
  batch: number,
  fanOut: (tx: Queryable, pass: SequencedPass) => Promise<void>,
  settleEveryMs: number = SETTLE_EVERY_MS,
): Promise<SequencedPass> {
  // A drop made before the outbox existed starts its log now: its past orders are not announced (no
  // confirmation mail for last month's orders); the first sweep still catches the last minutes.
  await db.query(
    `INSERT INTO event_sequences (drop_id, orders_through)
     SELECT d.id, CASE WHEN d.created_at < (SELECT applied_at FROM schema_migrations
                                            WHERE name = '0102_create_event_sequences.sql') THEN now() END
     FROM drops d WHERE d.id = $1::uuid
     ON CONFLICT (drop_id) DO NOTHING`,
    [dropId],
  );
  return db.transaction(async (tx) => {
    const { rows: sequenceRows } = await tx.query<{
      next_position: string | number;
      sweep_due: boolean | null;
    }>(
      `SELECT next_position,
              (settled_at IS NULL OR settled_at <= now() - $2::int * interval '1 millisecond')
                AND coalesce(settled_through, orders_through - interval '${ORDER_LOOKBACK_MINUTES} minutes') < orders_through
                AS sweep_due
       FROM event_sequences WHERE drop_id = $1::uuid FOR UPDATE`,
      [dropId, settleEveryMs],
    );
    const next = Number(sequenceRows[0]?.next_position ?? 1);
    const { rows: dropRows } = await tx.query<{
      seller_id: string;
      is_live: boolean;
      stock: number;
      has_orders: boolean;
    }>(
      `SELECT d.seller_id, d.starts_at <= now() AS is_live,
              (SELECT coalesce(sum(s.remaining), 0)::int FROM stock_buckets s WHERE s.drop_id = d.id)
                + (SELECT count(*)::int FROM returned_units r WHERE r.drop_id = d.id) AS stock,
              EXISTS (SELECT 1 FROM orders o WHERE o.drop_id = d.id) AS has_orders
       FROM drops d WHERE d.id = $1::uuid`,
      [dropId],
    );
    const drop = dropRows[0];
    if (drop?.is_live) {
      await tx.query(
        `INSERT INTO events (drop_id, type, occurred_at, dedupe, data)
         SELECT id, 'drop.live', starts_at, 'drop.live', '{}' FROM drops WHERE id = $1::uuid
         ON CONFLICT (drop_id, dedupe) DO NOTHING`,
        [dropId],
      );
    }
    const soldOut = Boolean(drop?.is_live && drop.stock === 0 && drop.has_orders);
    // Sold out: every order has committed, and drop.sold_out must follow all of them, so this pass sweeps.
    const sweep = sequenceRows[0]?.sweep_due === true || soldOut;
    const copied = await copyNewOrders(tx, dropId, batch, sweep);
    if (soldOut && copied.orders < batch) {
      await tx.query(
        `INSERT INTO events (drop_id, type, dedupe, data) VALUES ($1::uuid, 'drop.sold_out', 'drop.sold_out', '{}')
         ON CONFLICT (drop_id, dedupe) DO NOTHING`,
        [dropId],
      );
    }
    const { rows } = await tx.query<EventRow>(
      `UPDATE events SET position = $2::bigint + s.rank - 1
       FROM (SELECT id, row_number() OVER (ORDER BY occurred_at, unit_no, type, id) AS rank
             FROM events WHERE drop_id = $1::uuid AND position IS NULL
               -- An order's later events wait for its order.created, which a pass may not have copied yet
               -- (at READ COMMITTED the order can commit, and be released, while this pass runs).
               AND (order_id IS NULL OR type IN ('order.created', 'order.held')
                    OR EXISTS (SELECT 1 FROM events c
                               WHERE c.drop_id = $1::uuid AND c.dedupe = 'order.created:' || events.order_id::text))
             ORDER BY occurred_at, unit_no, type, id LIMIT $3::int) AS s
       WHERE events.id = s.id AND events.position IS NULL
       RETURNING events.id, events.drop_id, events.type, events.order_id, events.unit_no, events.data,
                 events.occurred_at, events.position`,
      [dropId, next, batch],
    );
    const stamped = rows.map(toEvent).sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
    // A sweep that took everything it found has seen every order up to its start minus the look-back.
    const settled = sweep && copied.orders < batch;
    const moved = await tx.query<{ drop_id: string }>(
      `UPDATE event_sequences SET next_position = $2::bigint, updated_at = now(),
         orders_through = greatest(orders_through, (SELECT max(t) FROM unnest($4::timestamptz[]) AS t)),
         settled_through = CASE WHEN $5::boolean
           THEN greatest(settled_through, now() - interval '${ORDER_LOOKBACK_MINUTES} minutes') ELSE settled_through END,
         settled_at = CASE WHEN $5::boolean THEN now() ELSE settled_at END
       WHERE drop_id = $1::uuid AND next_position = $3::bigint
       RETURNING drop_id`,
      [dropId, next + stamped.length, next, copied.times, settled],
    );
    if (moved.rows.length === 0) throw new TryAgain("another sequencer moved this drop's log");
    const pass = {
      stamped,
      sellerId: drop?.seller_id,
      more: copied.orders >= batch || stamped.length >= batch,
      swept: sweep,
    };
    await fanOut(tx, pass);
    return pass;
  });
}

/**
 * Copies orders (and ended holds) that have no `order.created` yet into the log, at most `limit` orders,
 * oldest first: those created at or after the cursor `orders_through`, or — a sweep — after `settled_through`
 * (or the cursor minus the look-back before any sweep). Returns how many orders it copied and their creation
 * times as the database wrote them (text, so no microsecond is lost on the way back to the cursor).
 */
async function copyNewOrders(
  tx: Queryable,
  dropId: string,
  limit: number,
  sweep: boolean,
): Promise<{ orders: number; times: string[] }> {
  const { rows } = await tx.query<{ order_id: string; occurred_text: string }>(
    `INSERT INTO events (drop_id, type, order_id, unit_no, data, occurred_at, dedupe)
     SELECT o.drop_id, t.type, o.id, o.unit_no,
            -- The fan as they typed it: the per-fan key (fan) is a confusables skeleton, not an address.
            json_build_object('fan', o.fan, 'priceCents', o.price_cents,
                              'expiresAt', o.expires_at)::text,
            o.created_at, t.type || ':' || o.id::text
     FROM (
       SELECT * FROM (
         SELECT id, drop_id, unit_no, coalesce(fan_shown, fan) AS fan, price_cents, expires_at, created_at FROM orders
         WHERE drop_id = $1::uuid
         UNION ALL
         SELECT id, drop_id, unit_no, coalesce(fan_shown, fan) AS fan, price_cents, expires_at, created_at
         FROM order_history
         WHERE drop_id = $1::uuid
         UNION ALL
         -- Orders the seller closed before a pass copied them (repository/orders/manage.ts). A refunded one
         -- was a hold drop's: its hold's end is not kept, its payment time stands in for it.
         SELECT id, drop_id, unit_no, coalesce(fan_shown, fan) AS fan, price_cents,
                CASE WHEN status = 'refunded' THEN coalesce(paid_at, closed_at) END AS expires_at, created_at
         FROM closed_orders
         WHERE drop_id = $1::uuid
       ) AS every_order
       WHERE created_at >= coalesce(
               (SELECT CASE WHEN $3::boolean
                         THEN coalesce(s.settled_through, s.orders_through - interval '${ORDER_LOOKBACK_MINUTES} minutes')
                         ELSE s.orders_through END
                FROM event_sequences s WHERE s.drop_id = $1::uuid),
               '-infinity'::timestamptz)
         AND NOT EXISTS (SELECT 1 FROM events e
                         WHERE e.drop_id = $1::uuid AND e.dedupe = 'order.created:' || every_order.id::text)
       ORDER BY created_at, id
       LIMIT $2::int
     ) AS o
     CROSS JOIN (VALUES ('order.created'), ('order.held')) AS t(type)
     WHERE t.type = 'order.created' OR o.expires_at IS NOT NULL
     ON CONFLICT (drop_id, dedupe) DO NOTHING
     RETURNING order_id, occurred_at::text AS occurred_text`,
    [dropId, limit, sweep],
  );
  return {
    orders: new Set(rows.map((row) => row.order_id)).size,
    times: rows.map((row) => row.occurred_text),
  };
}

/** A drop's log in position order (for the seller's tools and tests). */
export async function listDropEvents(db: Queryable, dropId: string): Promise<StoredEvent[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS}, ${eventVariantSql("events")} AS variant
     FROM events WHERE drop_id = $1::uuid AND position IS NOT NULL ORDER BY position`,
    [dropId],
  );
  return rows.map(toEvent);
}
