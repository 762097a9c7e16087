/** What fans see of a shop: its address, its drops, a fan's receipt, and the secret that signs receipts. */
import type { Database } from "../../db/database";
import type { Drop, Order } from "../../domain/types";
import {
  BRAND_COLUMNS,
  type BrandColumns,
  DROP_COLUMNS,
  type DropRow,
  ORDER_COLUMNS,
  type OrderRow,
  toBrandRow,
  toDrop,
  toOrder,
} from "../rows";
import type { BrandRow } from "./brands";

export interface ShopRow {
  sellerId: string;
  name: string;
  /** Null for sellers from before shop addresses existed, until one is given. */
  shopSlug: string | null;
  /** The shop's look; every field empty for a shop that never set one. */
  brand: BrandRow;
}

type ShopQueryRow = { id: string; name: string; shop_slug: string | null } & BrandColumns;

const toShop = (row: ShopQueryRow): ShopRow => ({
  sellerId: row.id,
  name: row.name,
  shopSlug: row.shop_slug,
  brand: toBrandRow(row),
});

const SHOP_COLUMNS = `s.id, s.name, s.shop_slug, ${BRAND_COLUMNS}`;

export async function findShopOfSeller(db: Database, sellerId: string): Promise<ShopRow | undefined> {
  const { rows } = await db.query<ShopQueryRow>(
    `SELECT ${SHOP_COLUMNS} FROM sellers s LEFT JOIN shop_brands b ON b.seller_id = s.id WHERE s.id = $1::uuid`,
    [sellerId],
  );
  return rows[0] && toShop(rows[0]);
}

export async function findShopBySlug(db: Database, shopSlug: string): Promise<ShopRow | undefined> {
  const { rows } = await db.query<ShopQueryRow>(
    `SELECT ${SHOP_COLUMNS} FROM sellers s LEFT JOIN shop_brands b ON b.seller_id = s.id
     WHERE s.shop_slug = $1::text`,
    [shopSlug],
  );
  return rows[0] && toShop(rows[0]);
}

/**
 * Gives the seller this address unless they already have one; answers the address they end up with.
 * A slug another seller holds fails on the unique index (23505), for the caller to try another.
 */
export async function claimShopSlug(db: Database, sellerId: string, shopSlug: string): Promise<string> {
  // One plain UPDATE (no data-modifying CTE, which a backend may refuse): an address already held stays.
  const { rows } = await db.query<{ shop_slug: string }>(
    `UPDATE sellers SET shop_slug = coalesce(shop_slug, $2::text) WHERE id = $1::uuid RETURNING shop_slug`,
    [sellerId, shopSlug],
  );
  return rows[0]!.shop_slug;
}

/** A shop's real drops (not Stress Test rehearsals), soonest first, with units left and the database clock. */
export async function listShopDrops(
  db: Database,
  sellerId: string,
): Promise<{ drop: Drop; remaining: number; serverTime: Date }[]> {
  const { rows } = await db.query<DropRow & { remaining: number; server_time: Date }>(
    `SELECT ${DROP_COLUMNS},
            (SELECT coalesce(sum(s.remaining), 0)::int FROM stock_buckets s WHERE s.drop_id = drops.id) AS remaining,
            now() AS server_time
     FROM drops
     WHERE seller_id = $1::uuid AND NOT is_rehearsal
     ORDER BY starts_at, id
     LIMIT 200`,
    [sellerId],
  );
  return rows.map((row) => ({
    drop: toDrop(row),
    remaining: row.remaining,
    serverTime: new Date(row.server_time),
  }));
}

export async function findOrderOfDrop(
  db: Database,
  dropId: string,
  orderId: string,
): Promise<Order | undefined> {
  const { rows } = await db.query<OrderRow>(
    `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $2::uuid AND drop_id = $1::uuid`,
    [dropId, orderId],
  );
  return rows[0] && toOrder(rows[0]);
}

/**
 * The site secret called `name`, made from `candidate` if no process made it first. Two statements, each
 * its own transaction: whoever inserts first wins, and everyone reads the winner's.
 */
export async function siteSecret(db: Database, name: string, candidate: string): Promise<string> {
  await db.query(
    "INSERT INTO site_secrets (name, secret) VALUES ($1::text, $2::text) ON CONFLICT (name) DO NOTHING",
    [name, candidate],
  );
  const { rows } = await db.query<{ secret: string }>(
    "SELECT secret FROM site_secrets WHERE name = $1::text",
    [name],
  );
  return rows[0]!.secret;
}
