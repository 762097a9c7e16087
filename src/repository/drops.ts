/** Drops and their stock buckets. */
import type { Database } from "../db/database";
import type { Bucket } from "../domain/stock-plan";
import type { Drop, DropTerms } from "../domain/types";
import { DROP_COLUMNS, type DropRow, toDrop } from "./rows";

export interface NewDrop extends DropTerms {
  sellerId: string;
  slug: string;
  isRehearsal?: boolean;
  rehearsalOf?: string | null;
}

/** Writes the drop and all its stock buckets in one statement, so a drop never exists without its stock. */
export async function insertDropWithStock(db: Database, drop: NewDrop, buckets: Bucket[]): Promise<Drop> {
  const { rows } = await db.query<DropRow>(
    `WITH new_drop AS (
       INSERT INTO drops (seller_id, slug, title, description, price_cents, currency, quantity, starts_at,
                          max_per_fan, bucket_count, is_rehearsal, rehearsal_of)
       VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::int, $6::text, $7::int, $8::timestamptz,
               $9::int, $10::int, $11::boolean, $12::uuid)
       RETURNING ${DROP_COLUMNS}
     ), new_stock AS (
       INSERT INTO stock_buckets (drop_id, bucket, first_unit, size, remaining)
       SELECT new_drop.id, plan.bucket, plan.first_unit, plan.size, plan.size
       FROM new_drop, unnest($13::int[], $14::int[], $15::int[]) AS plan(bucket, first_unit, size)
       RETURNING bucket
     )
     SELECT ${DROP_COLUMNS} FROM new_drop WHERE (SELECT count(*) FROM new_stock) = $10::int`,
    [
      drop.sellerId,
      drop.slug,
      drop.title,
      drop.description,
      drop.priceCents,
      drop.currency,
      drop.quantity,
      drop.startsAt.toISOString(),
      drop.maxPerFan,
      buckets.length,
      drop.isRehearsal ?? false,
      drop.rehearsalOf ?? null,
      buckets.map((b) => b.bucket),
      buckets.map((b) => b.firstUnit),
      buckets.map((b) => b.size),
    ],
  );
  return toDrop(rows[0]!);
}

export async function findDropById(db: Database, id: string): Promise<Drop | undefined> {
  const { rows } = await db.query<DropRow>(`SELECT ${DROP_COLUMNS} FROM drops WHERE id = $1::uuid`, [id]);
  return rows[0] && toDrop(rows[0]);
}

export async function findDropBySlug(db: Database, slug: string): Promise<Drop | undefined> {
  const { rows } = await db.query<DropRow>(`SELECT ${DROP_COLUMNS} FROM drops WHERE slug = $1::text`, [slug]);
  return rows[0] && toDrop(rows[0]);
}

/** Units left and the database clock, which is the clock go-live is judged by. */
export async function readStock(
  db: Database,
  dropId: string,
): Promise<{ remaining: number; serverTime: Date }> {
  const { rows } = await db.query<{ remaining: number; server_time: Date }>(
    `SELECT coalesce(sum(remaining), 0)::int AS remaining, now() AS server_time
     FROM stock_buckets WHERE drop_id = $1::uuid`,
    [dropId],
    { name: "read_stock" },
  );
  return { remaining: rows[0]!.remaining, serverTime: new Date(rows[0]!.server_time) };
}
