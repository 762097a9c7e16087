import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Database } from "../../db/database";
import * as repo from "../../repository";
import { type Clock, systemClock } from "../clock";
import { NotFound } from "../errors";
import { statusOf } from "../shop";
import type { Drop, DropStatus, Order } from "../types";
import type { ShopBrand } from "./brand";
import { createDropImages, type DropImage, type DropImages } from "./images";
import { brandOf } from "./shop-brand";
import { assignShopSlug } from "./shop-slug";

/** The shop behind a drop, as fans see it. */
export interface ShopFront {
  name: string;
  slug: string;
  /** The shop's own look (logo, banner, accent, bio, links): what fan pages lead with. */
  brand: ShopBrand;
}

export interface ShopDrop {
  drop: Drop;
  remaining: number;
  status: DropStatus;
  serverTime: Date;
  images: DropImage[];
}

/** How long a drop page's shop and pictures are reused before being read again. */
export const EXTRAS_TTL_MS = 3000;

/**
 * The fan-facing side of shops: each seller's address (/s/<slug>, given at sign-up, or lazily to sellers
 * from before addresses existed), the shop page's drops, and receipt links that cannot be guessed.
 * @example const front = createStorefront(db); await front.shopOf(drop.sellerId)
 */
export function createStorefront(
  db: Database,
  images: DropImages = createDropImages(db),
  clock: Clock = systemClock,
) {
  let receiptKey: Promise<string> | undefined;
  const extras = new Map<
    string,
    { until: number; value: Promise<{ shop: ShopFront; images: DropImage[] }> }
  >();

  async function shopOf(sellerId: string): Promise<ShopFront> {
    const shop = await repo.findShopOfSeller(db, sellerId);
    if (!shop) throw new NotFound("shop");
    return {
      name: shop.name,
      slug: shop.shopSlug ?? (await assignShopSlug(db, sellerId, shop.name)),
      brand: brandOf(shop.brand),
    };
  }

  /** The HMAC key for receipt links: made once per site, stored in the database for every process. */
  function receiptSecret(): Promise<string> {
    receiptKey ??= repo
      .siteSecret(db, "receipt-links", randomBytes(32).toString("base64url"))
      .catch((error) => {
        receiptKey = undefined; // a failed read is retried by the next caller, not remembered
        throw error;
      });
    return receiptKey;
  }

  async function receiptCode(orderId: string): Promise<string> {
    return createHmac("sha256", await receiptSecret())
      .update(`receipt:${orderId}`)
      .digest("base64url")
      .slice(0, 32);
  }

  return {
    shopOf,

    /**
     * The shop and pictures around a drop's page, kept for EXTRAS_TTL_MS: a crowd refreshing a drop page
     * costs two queries every few seconds, not two per view. A picture added or removed shows within that.
     */
    pageExtras(drop: Drop): Promise<{ shop: ShopFront; images: DropImage[] }> {
      const now = clock();
      const cached = extras.get(drop.id);
      if (cached && cached.until > now) return cached.value;
      const value = Promise.all([shopOf(drop.sellerId), images.of(drop.id)]).then(([shop, pictures]) => ({
        shop,
        images: pictures,
      }));
      value.catch(() => extras.delete(drop.id));
      if (extras.size > 10_000) extras.clear(); // bounded: drops come and go
      extras.set(drop.id, { until: now + EXTRAS_TTL_MS, value });
      return value;
    },

    /** The shop at /s/<slug>: its name and its drops, each with stock, state and pictures. */
    async shopPage(slug: string): Promise<{ shop: ShopFront; drops: ShopDrop[] }> {
      const shop = await repo.findShopBySlug(db, slug);
      if (!shop?.shopSlug) throw new NotFound("shop");
      const rows = await repo.listShopDrops(db, shop.sellerId);
      const pictures = await images.ofEach(rows.map((row) => row.drop.id));
      return {
        shop: { name: shop.name, slug: shop.shopSlug, brand: brandOf(shop.brand) },
        drops: rows.map((row) => ({
          ...row,
          status: statusOf(row.drop, row.remaining, row.serverTime),
          images: pictures.get(row.drop.id) ?? [],
        })),
      };
    },

    /**
     * The `k` of a receipt link: HMAC-SHA256 of the order id under the site's stored secret, 192 bits.
     * Nothing about the purchase (not even a client-chosen idempotency key) makes it guessable.
     */
    receiptCode,

    /** The order behind a receipt link, or NotFound for any wrong part of it. */
    async receipt(drop: Drop, orderId: string, code: string): Promise<Order> {
      const expected = Buffer.from(await receiptCode(orderId));
      const given = Buffer.from(code);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new NotFound("order");
      const order = await repo.findOrderOfDrop(db, drop.id, orderId);
      if (!order) throw new NotFound("order");
      return order;
    },
  };
}

export type Storefront = ReturnType<typeof createStorefront>;
