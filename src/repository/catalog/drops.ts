/** Drops and their stock buckets. */
import type { Database, Queryable } from "../../db/database";
import type { Bucket } from "../../domain/purchase/stock-plan";
import { UNITS_PER_VARIANT, type VariantInput } from "../../domain/purchase/variants";
import type { Drop, DropTerms, StockSnapshot } from "../../domain/types";
import { insertDraw, type NewDraw } from "../fairness/draws";
import { DROP_COLUMNS, type DropRow, toDrop } from "../rows";
import { insertVariants } from "./variants";

export interface NewDrop extends Omit<DropTerms, "startsAt"> {
  /** Absent: live at once, on the database clock. */
  startsAt?: Date | undefined;
  sellerId: string;
  slug: string;
  isRehearsal?: boolean;
  rehearsalOf?: string | null;
  /** Checkout with a hold of this many seconds; 0 or absent: instant orders. */
  holdSeconds?: number | undefined;
  /** A draw drop: its draw (seed, commitment, close), written in the drop's own transaction. */
  draw?: Omit<NewDraw, "dropId"> | undefined;
  /** Only verified fans may buy (a fan token names the fan). */
  verifiedFans?: boolean | undefined;
  /** Ask each buyer for a shipping address (issue 18 §2). */
  collectShipping?: boolean | undefined;
  /** Named variants (sizes, colours), written with the drop; absent: one unnamed variant. */
  variants?: readonly VariantInput[] | undefined;
}

/**
 * Writes the drop and all its stock buckets in one transaction, so a drop never exists without its stock.
 * Plain statements in an explicit transaction, which every backend runs (DSQL is not known to take the
 * data-modifying CTE this once was, issue 15 §5).
 */
export function insertDropWithStock(db: Database, drop: NewDrop, buckets: Bucket[]): Promise<Drop> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<DropRow>(
      `INSERT INTO drops (seller_id, slug, title, description, price_cents, currency, quantity, starts_at,
                          max_per_fan, bucket_count, is_rehearsal, rehearsal_of, hold_seconds, verified_fans,
                          collect_shipping, variant_count)
       VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::int, $6::text, $7::int, coalesce($8::timestamptz, now()),
               $9::int, $10::int, $11::boolean, $12::uuid, $13::int, $14::boolean, $15::boolean, $16::int)
       RETURNING ${DROP_COLUMNS}`,
      [
        drop.sellerId,
        drop.slug,
        drop.title,
        drop.description,
        drop.priceCents,
        drop.currency,
        drop.quantity,
        drop.startsAt?.toISOString() ?? null,
        drop.maxPerFan,
        buckets.length,
        drop.isRehearsal ?? false,
        drop.rehearsalOf ?? null,
        drop.holdSeconds ? drop.holdSeconds : null,
        drop.verifiedFans ? true : null,
        drop.collectShipping ? true : null,
        drop.variants?.length ?? null,
      ],
    );
    const created = toDrop(rows[0]!);
    if (drop.variants) await insertVariants(tx, created.id, drop.variants);
    await insertBuckets(tx, created.id, buckets);
    if (drop.draw) await insertDraw(tx, { ...drop.draw, dropId: created.id });
    return created;
  });
}

/** A drop's stock buckets, each with all its units unsold (at most 64 rows: stock-plan.ts). */
export async function insertBuckets(tx: Queryable, dropId: string, buckets: Bucket[]): Promise<void> {
  await tx.query(
    `INSERT INTO stock_buckets (drop_id, bucket, first_unit, size, remaining)
     SELECT $1::uuid, plan.bucket, plan.first_unit, plan.size, plan.size
     FROM unnest($2::int[], $3::int[], $4::int[]) AS plan(bucket, first_unit, size)`,
    [dropId, buckets.map((b) => b.bucket), buckets.map((b) => b.firstUnit), buckets.map((b) => b.size)],
  );
}

export async function findDropById(db: Database, id: string): Promise<Drop | undefined> {
  const { rows } = await db.query<DropRow>(`SELECT ${DROP_COLUMNS} FROM drops WHERE id = $1::uuid`, [id]);
  return rows[0] && toDrop(rows[0]);
}

export async function findDropBySlug(db: Database, slug: string): Promise<Drop | undefined> {
  const { rows } = await db.query<DropRow>(`SELECT ${DROP_COLUMNS} FROM drops WHERE slug = $1::text`, [slug]);
  return rows[0] && toDrop(rows[0]);
}

/**
 * Units left (a hold drop's returned units included, see holds.ts) and the database clock, which is the clock go-live is judged by, with the drop's pause and
 * cancel switches, its mode (instant or checkout) and its go-live from the same snapshot (a seller may flip the
 * switches at any time, and change the mode and the go-live before go-live, from any process, so they are
 * never taken from a cache).
 */
export async function readStock(db: Database, dropId: string): Promise<StockSnapshot> {
  const { rows } = await db.query<{
    remaining: number;
    server_time: Date;
    paused: boolean | null;
    cancelled: boolean | null;
    hold: boolean | null;
    starts_at: Date | null;
  }>(
    `SELECT coalesce(sum(remaining), 0)::int
              + (SELECT count(*)::int FROM returned_units r WHERE r.drop_id = $1::uuid) AS remaining,
            now() AS server_time,
            (SELECT d.paused_at IS NOT NULL FROM drops d WHERE d.id = $1::uuid) AS paused,
            (SELECT d.cancelled_at IS NOT NULL FROM drops d WHERE d.id = $1::uuid) AS cancelled,
            (SELECT coalesce(d.hold_seconds, 0) > 0 FROM drops d WHERE d.id = $1::uuid) AS hold,
            (SELECT d.starts_at FROM drops d WHERE d.id = $1::uuid) AS starts_at
     FROM stock_buckets WHERE drop_id = $1::uuid`,
    [dropId],
    { name: "read_stock_and_switches" },
  );
  const row = rows[0]!;
  return {
    remaining: row.remaining,
    serverTime: new Date(row.server_time),
    paused: row.paused === true,
    cancelled: row.cancelled === true,
    hold: row.hold === true,
    ...(row.starts_at === null ? {} : { startsAt: new Date(row.starts_at) }),
  };
}

/**
 * How many drops (not Stress Test copies) the seller created in the last `windowSeconds`, on the database's
 * clock, and the seconds until the oldest of them leaves the window: the drop-creation limit's count
 * (issue 15 §2), served by drops_seller_created_idx.
 */
export async function recentDropsOf(
  db: Database,
  sellerId: string,
  windowSeconds: number,
): Promise<{ count: number; secondsUntilOldestLeaves: number }> {
  const { rows } = await db.query<{ count: number; seconds: number | null }>(
    `SELECT count(*)::int AS count,
            ceil(extract(epoch FROM min(created_at) + $2::int * interval '1 second' - now()))::int AS seconds
     FROM drops
     WHERE seller_id = $1::uuid AND NOT is_rehearsal
       AND created_at > now() - $2::int * interval '1 second'`,
    [sellerId, windowSeconds],
    { name: "recent_drops_of_seller" },
  );
  const row = rows[0];
  return { count: row?.count ?? 0, secondsUntilOldestLeaves: Math.max(1, row?.seconds ?? 1) };
}

/**
 * The stock of many drops in one statement, as readStock sees each: what the live counters' one loop reads
 * every tick, so its cost in statements does not grow with the number of drops watched (issue 15 §2).
 * Drops that do not exist are missing from the answer.
 * @example const stocks = await readStocks(db, [a.id, b.id]); stocks.get(a.id)?.remaining
 */
export async function readStocks(
  db: Database,
  dropIds: readonly string[],
): Promise<Map<string, StockSnapshot>> {
  if (dropIds.length === 0) return new Map();
  const { rows } = await db.query<{
    drop_id: string;
    remaining: number;
    server_time: Date;
    paused: boolean;
    cancelled: boolean;
    hold: boolean;
    starts_at: Date;
    variant_count: number | null;
    sizes: string | null;
    queue: number | null;
  }>(
    `SELECT d.id::text AS drop_id,
            coalesce((SELECT sum(s.remaining) FROM stock_buckets s WHERE s.drop_id = d.id), 0)::int
              + (SELECT count(*)::int FROM returned_units r WHERE r.drop_id = d.id) AS remaining,
            now() AS server_time,
            d.paused_at IS NOT NULL AS paused,
            d.cancelled_at IS NOT NULL AS cancelled,
            coalesce(d.hold_seconds, 0) > 0 AS hold,
            d.starts_at,
            d.variant_count,
            -- A drop of several sizes: each one's units left, "position:left" joined by commas (issue 18 §5:
            -- the live size picker), in the same statement, so the tick's cost stays one statement.
            CASE WHEN coalesce(d.variant_count, 1) > 1 THEN (
              SELECT string_agg(u.position::text || ':' || u.remaining::text, ',')
              FROM (SELECT (x.unit - 1) / ${UNITS_PER_VARIANT} AS position, sum(x.remaining)::int AS remaining
                    FROM (SELECT s.first_unit AS unit, s.remaining FROM stock_buckets s WHERE s.drop_id = d.id
                          UNION ALL
                          SELECT r.unit_no AS unit, 1 AS remaining FROM returned_units r WHERE r.drop_id = d.id) AS x
                    GROUP BY 1) AS u
            ) END AS sizes,
            -- The queue's tick (fairness): NULL without entries, so a drop without one costs one index probe.
            CASE WHEN EXISTS (SELECT 1 FROM offer_queue q WHERE q.drop_id = d.id) THEN
              (SELECT count(q.order_id)::int * 2 FROM offer_queue q WHERE q.drop_id = d.id)
              + (SELECT count(*)::int FROM draws w WHERE w.drop_id = d.id AND w.ranked_at IS NOT NULL)
            END AS queue
     FROM drops d WHERE d.id = ANY($1::uuid[])`,
    [dropIds],
    { name: "read_stocks_and_switches" },
  );
  return new Map(
    rows.map((row) => [
      row.drop_id,
      {
        remaining: row.remaining,
        serverTime: new Date(row.server_time),
        paused: row.paused === true,
        cancelled: row.cancelled === true,
        // The mode and go-live as the database has them now (another process may have changed either).
        hold: row.hold === true,
        startsAt: new Date(row.starts_at),
        ...((row.variant_count ?? 1) > 1
          ? { sizes: sizesLeft(row.sizes ?? "", row.variant_count ?? 1) }
          : {}),
        ...(row.queue === null ? {} : { queue: row.queue }),
      },
    ]),
  );
}

/** "0:3,2:1" → [3, 0, 1] for a drop of `count` sizes: a size with no stock row left counts 0. */
function sizesLeft(text: string, count: number): number[] {
  const left = new Array<number>(count).fill(0);
  for (const pair of text ? text.split(",") : []) {
    const [position, remaining] = pair.split(":").map(Number);
    if (position !== undefined && position >= 0 && position < count) left[position] = remaining ?? 0;
  }
  return left;
}

/** The drop as it is now (terms may change before go-live) with its stock, in one read. */
export async function readDropWithStock(
  db: Database,
  dropId: string,
): Promise<{ drop: Drop; remaining: number; serverTime: Date } | undefined> {
  const { rows } = await db.query<DropRow & { remaining: number; server_time: Date }>(
    `SELECT ${DROP_COLUMNS},
            (SELECT coalesce(sum(s.remaining), 0)::int FROM stock_buckets s WHERE s.drop_id = $1::uuid)
              + (SELECT count(*)::int FROM returned_units r WHERE r.drop_id = $1::uuid) AS remaining,
            now() AS server_time
     FROM drops WHERE id = $1::uuid`,
    [dropId],
    { name: "read_drop_with_stock" },
  );
  const row = rows[0];
  return row && { drop: toDrop(row), remaining: row.remaining, serverTime: new Date(row.server_time) };
}
