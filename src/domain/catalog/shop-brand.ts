import { randomUUID } from "node:crypto";
import type { Database } from "../../db/database";
import type { BrandPictureSlot, BrandRow } from "../../repository";
import * as repo from "../../repository";
import { type BrandLink, parseStoredLinks, parseStoredPicture, type ShopBrand } from "./brand";
import { encodeDropImage } from "./image-encoding";
import { toDropImage } from "./images";

/** Widths each brand picture is kept at: a logo is shown small (at 2x), a banner across the page. */
export const BRAND_PICTURE_WIDTHS: Record<BrandPictureSlot, readonly number[]> = {
  logo: [256],
  banner: [640, 1280, 1920],
};

/** The brand as pages show it, from its stored row. */
export function brandOf(row: BrandRow): ShopBrand {
  const logo = parseStoredPicture(row.logo);
  const banner = parseStoredPicture(row.banner);
  return {
    accent: row.accent ?? undefined,
    bio: row.bio,
    links: parseStoredLinks(row.links),
    logo: logo && toDropImage(logo),
    banner: banner && toDropImage(banner),
  };
}

/**
 * A seller's brand: its words and colour, and its logo and banner (re-encoded like drop pictures, through
 * src/domain/catalog/image-encoding.ts, and served from /images like them). Callers pass the signed-in seller's id.
 * @example await createShopBrands(db).setPicture(seller.id, "logo", bytes)
 */
export function createShopBrands(db: Database) {
  async function dropFilesOf(descriptor: string | null) {
    const previous = parseStoredPicture(descriptor);
    if (previous) await repo.deleteImageFiles(db, previous.id);
  }

  return {
    async read(sellerId: string): Promise<ShopBrand> {
      const shop = await repo.findShopOfSeller(db, sellerId);
      return shop ? brandOf(shop.brand) : { bio: "", links: [] };
    },

    saveText: (sellerId: string, brand: { accent: string | undefined; bio: string; links: BrandLink[] }) =>
      repo.saveBrandText(db, sellerId, {
        accent: brand.accent ?? null,
        bio: brand.bio,
        links: JSON.stringify(brand.links),
      }),

    /** Encodes the upload (InvalidInput / ImageTooLarge for what is not a usable picture) and stores it. */
    async setPicture(sellerId: string, slot: BrandPictureSlot, upload: Uint8Array): Promise<void> {
      const files = await encodeDropImage(upload, BRAND_PICTURE_WIDTHS[slot]);
      const id = randomUUID();
      const descriptor = JSON.stringify({
        id,
        files: files.map((f) => ({ width: f.width, height: f.height, contentHash: f.contentHash })),
      });
      await dropFilesOf(await repo.setBrandPicture(db, sellerId, slot, { id, descriptor, files }));
    },

    async clearPicture(sellerId: string, slot: BrandPictureSlot): Promise<void> {
      await dropFilesOf(await repo.clearBrandPicture(db, sellerId, slot));
    },
  };
}

export type ShopBrands = ReturnType<typeof createShopBrands>;
