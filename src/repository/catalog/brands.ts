/** A shop's brand (shop_brands): accent, bio, links, and its logo and banner pictures in image_files. */
import type { Database } from "../../db/database";
import type { EncodedImage } from "../../domain/catalog/image-encoding";

/** shop_brands as stored: links and pictures are JSON text, parsed by the domain (src/domain/catalog/brand.ts). */
export interface BrandRow {
  accent: string | null;
  bio: string;
  links: string;
  logo: string | null;
  banner: string | null;
}

export type BrandPictureSlot = "logo" | "banner";

/** Writes the brand's words and colour, keeping its pictures. */
export async function saveBrandText(
  db: Database,
  sellerId: string,
  brand: { accent: string | null; bio: string; links: string },
): Promise<void> {
  await db.query(
    `INSERT INTO shop_brands (seller_id, accent, bio, links) VALUES ($1::uuid, $2::text, $3::text, $4::text)
     ON CONFLICT (seller_id) DO UPDATE
       SET accent = excluded.accent, bio = excluded.bio, links = excluded.links, updated_at = now()`,
    [sellerId, brand.accent, brand.bio, brand.links],
  );
}

/** One statement per slot: the column name is never built from input. */
const SET_PICTURE: Record<BrandPictureSlot, string> = {
  logo: `INSERT INTO shop_brands (seller_id, logo) VALUES ($1::uuid, $2::text)
         ON CONFLICT (seller_id) DO UPDATE SET logo = excluded.logo, updated_at = now()
         RETURNING seller_id`,
  banner: `INSERT INTO shop_brands (seller_id, banner) VALUES ($1::uuid, $2::text)
           ON CONFLICT (seller_id) DO UPDATE SET banner = excluded.banner, updated_at = now()
           RETURNING seller_id`,
};

const PREVIOUS: Record<BrandPictureSlot, string> = {
  logo: "SELECT logo AS previous FROM shop_brands WHERE seller_id = $1::uuid",
  banner: "SELECT banner AS previous FROM shop_brands WHERE seller_id = $1::uuid",
};

/**
 * Stores the encoded files under `imageId` and points the brand's slot at them, in one transaction (a
 * picture never exists half-stored; plain statements, as DSQL takes no data-modifying CTE). Answers the
 * slot's previous descriptor, whose files the caller removes.
 */
export async function setBrandPicture(
  db: Database,
  sellerId: string,
  slot: BrandPictureSlot,
  picture: { id: string; descriptor: string; files: EncodedImage[] },
): Promise<string | null> {
  const params: unknown[] = [picture.id];
  const values = picture.files.map((file, i) => {
    params.push(file.width, file.height, file.contentHash, file.bytes);
    const n = 2 + i * 4;
    return `($${n}::int, $${n + 1}::int, $${n + 2}::text, $${n + 3}::bytea)`;
  });
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ previous: string | null }>(PREVIOUS[slot], [sellerId]);
    await tx.query(
      `INSERT INTO image_files (image_id, width, height, content_hash, bytes)
       SELECT $1::uuid, f.width, f.height, f.content_hash, f.bytes
       FROM (VALUES ${values.join(", ")}) AS f(width, height, content_hash, bytes)`,
      params,
    );
    await tx.query(SET_PICTURE[slot], [sellerId, picture.descriptor]);
    return rows[0]?.previous ?? null;
  });
}

const CLEAR_PICTURE: Record<BrandPictureSlot, string> = {
  logo: "UPDATE shop_brands SET logo = NULL, updated_at = now() WHERE seller_id = $1::uuid",
  banner: "UPDATE shop_brands SET banner = NULL, updated_at = now() WHERE seller_id = $1::uuid",
};

/** Empties the slot; answers the descriptor it held, whose files the caller removes. */
export async function clearBrandPicture(
  db: Database,
  sellerId: string,
  slot: BrandPictureSlot,
): Promise<string | null> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ previous: string | null }>(PREVIOUS[slot], [sellerId]);
    await tx.query(CLEAR_PICTURE[slot], [sellerId]);
    return rows[0]?.previous ?? null;
  });
}

/** Removes a replaced picture's files. */
export async function deleteImageFiles(db: Database, imageId: string): Promise<void> {
  await db.query("DELETE FROM image_files WHERE image_id = $1::uuid", [imageId]);
}
