/** Row shapes as the database returns them, and how they become domain values. */
import { UNITS_PER_VARIANT, unitInVariant, variantOfUnit } from "../domain/purchase/variants";
import type { Drop, Order, Seller } from "../domain/types";
import type { BrandRow } from "./catalog/brands";

export const DROP_COLUMNS = `id, seller_id, slug, title, description, price_cents, currency, quantity, starts_at,
  max_per_fan, bucket_count, is_rehearsal, created_at, paused_at, cancelled_at, hold_seconds, verified_fans,
  collect_shipping, variant_count, variants_revision`;

export interface DropRow {
  id: string;
  seller_id: string;
  slug: string;
  title: string;
  description: string;
  price_cents: number;
  currency: string;
  quantity: number;
  starts_at: Date;
  max_per_fan: number;
  bucket_count: number;
  is_rehearsal: boolean;
  created_at: Date;
  paused_at: Date | null;
  cancelled_at: Date | null;
  hold_seconds: number | null;
  verified_fans: boolean | null;
  collect_shipping: boolean | null;
  variant_count: number | null;
  variants_revision: number | null;
}

export const toDrop = (row: DropRow): Drop => ({
  id: row.id,
  sellerId: row.seller_id,
  slug: row.slug,
  title: row.title,
  description: row.description,
  priceCents: row.price_cents,
  currency: row.currency,
  quantity: row.quantity,
  startsAt: new Date(row.starts_at),
  maxPerFan: row.max_per_fan,
  bucketCount: row.bucket_count,
  isRehearsal: row.is_rehearsal,
  createdAt: new Date(row.created_at),
  pausedAt: row.paused_at === null ? null : new Date(row.paused_at),
  cancelledAt: row.cancelled_at === null ? null : new Date(row.cancelled_at),
  holdSeconds: row.hold_seconds ?? 0,
  verifiedFans: row.verified_fans ?? false,
  collectShipping: row.collect_shipping ?? false,
  variantCount: row.variant_count ?? 0,
  variantsRevision: row.variants_revision ?? 0,
});

export interface OrderRow {
  id: string;
  drop_id: string;
  unit_no: number;
  /** The per-fan limit's key (see domain/purchase/fan-identity.ts); shown only for orders older than fan_shown. */
  fan: string;
  fan_shown: string | null;
  price_cents: number;
  attempts: number;
  created_at: Date;
}

export const ORDER_COLUMNS = "id, drop_id, unit_no, fan, fan_shown, price_cents, attempts, created_at";

export const toOrder = (row: OrderRow): Order => ({
  id: row.id,
  dropId: row.drop_id,
  unitNo: unitInVariant(row.unit_no),
  variant: variantOfUnit(row.unit_no),
  fan: row.fan_shown ?? row.fan,
  priceCents: row.price_cents,
  attempts: row.attempts,
  createdAt: new Date(row.created_at),
});

export interface SellerRow {
  id: string;
  email: string;
  name: string;
  created_at: Date;
}

export const toSeller = (row: SellerRow): Seller => ({
  id: row.id,
  email: row.email,
  name: row.name,
  createdAt: new Date(row.created_at),
});

/** The columns a shop query adds for its brand; NULL for a shop that never set one. */
export const BRAND_COLUMNS =
  "b.accent AS brand_accent, b.bio AS brand_bio, b.links AS brand_links, b.logo AS brand_logo, b.banner AS brand_banner";

export interface BrandColumns {
  brand_accent: string | null;
  brand_bio: string | null;
  brand_links: string | null;
  brand_logo: string | null;
  brand_banner: string | null;
}

export const toBrandRow = (row: BrandColumns): BrandRow => ({
  accent: row.brand_accent,
  bio: row.brand_bio ?? "",
  links: row.brand_links ?? "[]",
  logo: row.brand_logo,
  banner: row.brand_banner,
});

export type EventType =
  | "order.created"
  | "order.held"
  | "order.paid"
  | "order.released"
  | "order.expired"
  | "order.refunded"
  | "order.cancelled"
  | "order.fulfilled"
  | "order.claimed"
  | "drop.live"
  | "drop.sold_out"
  | "drop.paused"
  | "drop.resumed"
  | "drop.cancelled"
  | "drop.updated"
  | "draw.won"
  | "waitlist.offered"
  | "ping";

/** An event as stored, with its position once stamped. */
export interface StoredEvent {
  id: string;
  dropId: string | null;
  type: EventType;
  orderId: string | null;
  unitNo: number | null;
  data: Record<string, unknown>;
  occurredAt: Date;
  position: number | null;
  /** An order event on a drop of several sizes: the size (variant) the order is for. */
  variant?: { id: string; name: string } | undefined;
}

export interface EventRow {
  id: string;
  drop_id: string | null;
  type: EventType;
  order_id: string | null;
  unit_no: number | null;
  data: string;
  occurred_at: Date;
  position: string | number | null;
  /** JSON {id, name} from eventVariantSql, where the reader asked for it. */
  variant?: string | null;
}

/**
 * The size (variant) of an event's order as JSON {id, name}, a SQL expression over an events row aliased
 * `alias`: NULL unless the drop sells several sizes. Read from the order itself (live, ended hold, or
 * closed by the seller: each a primary-key probe), not from the event's unit number, which older writers
 * stored within its variant.
 */
export const eventVariantSql = (alias: string): string =>
  `(SELECT json_build_object('id', v.id, 'name', v.name)::text FROM drop_variants v
    WHERE v.drop_id = ${alias}.drop_id AND ${alias}.order_id IS NOT NULL
      AND (SELECT d.variant_count FROM drops d WHERE d.id = ${alias}.drop_id) > 1
      AND v.position = (coalesce((SELECT o.unit_no FROM orders o WHERE o.id = ${alias}.order_id),
                                 (SELECT h.unit_no FROM order_history h WHERE h.id = ${alias}.order_id),
                                 (SELECT c.unit_no FROM closed_orders c WHERE c.id = ${alias}.order_id)) - 1)
                        / ${UNITS_PER_VARIANT})`;

export const EVENT_COLUMNS = "id, drop_id, type, order_id, unit_no, data, occurred_at, position";

export const toEvent = (row: EventRow): StoredEvent => ({
  id: row.id,
  dropId: row.drop_id,
  type: row.type,
  orderId: row.order_id,
  // The unit within its variant, as the fan and the seller see it (an order event may store the stored number).
  unitNo: row.unit_no === null ? null : unitInVariant(row.unit_no),
  data: JSON.parse(row.data) as Record<string, unknown>,
  occurredAt: new Date(row.occurred_at),
  position: row.position === null ? null : Number(row.position),
  ...(row.variant ? { variant: JSON.parse(row.variant) as { id: string; name: string } } : {}),
});
