/** Drop images and their encoded files. */
import type { Database } from "../../db/database";
import type { EncodedImage } from "../../domain/catalog/image-encoding";

/** One picture of a drop, without its bytes: what pages and JSON need to link to it. */
export interface DropImageRow {
  id: string;
  dropId: string;
  files: { width: number; height: number; contentHash: string }[];
}

/** The unique index that lets one picture take each place of a drop (sql/0113). */
export const IMAGE_SLOT_CONSTRAINT = "drop_images_slot_key";

/**
 * Writes the picture and every encoded file in one transaction, so an image never exists half-stored, in
 * the drop's lowest free place of `maxImages`; undefined (nothing written) when the drop has no free place.
 * Two concurrent uploads that pick the same place: one fails on IMAGE_SLOT_CONSTRAINT and may try again.
 * The files are at most two (IMAGE_WIDTHS), each under 900 KB: far inside DSQL's 10 MiB per transaction.
 */
export async function insertDropImage(
  db: Database,
  dropId: string,
  files: EncodedImage[],
  maxImages: number,
): Promise<string | undefined> {
  const largest = files.reduce((a, b) => (b.width > a.width ? b : a));
  const fileParams: unknown[] = [];
  const values = files.map((file, i) => {
    fileParams.push(file.width, file.height, file.contentHash, file.bytes);
    const n = 2 + i * 4;
    return `($${n}::int, $${n + 1}::int, $${n + 2}::text, $${n + 3}::bytea)`;
  });
  // Plain statements in one transaction: DSQL is not known to take data-modifying CTEs (issue 15 §5).
  return db.transaction(async (tx) => {
    // The lowest free place, in the insert itself: the unique (drop_id, slot) index refuses a second
    // picture in the same place, so the limit holds however many uploads race (issue 15 §3).
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO drop_images (drop_id, width, height, slot)
       SELECT $1::uuid, $2::int, $3::int, s.slot FROM generate_series(1, $4::int) AS s(slot)
       WHERE NOT EXISTS (SELECT 1 FROM drop_images i WHERE i.drop_id = $1::uuid AND i.slot = s.slot)
         -- Pictures from before places existed (slot NULL) count against the limit too.
         AND (SELECT count(*) FROM drop_images i WHERE i.drop_id = $1::uuid) < $4::int
       ORDER BY s.slot LIMIT 1
       RETURNING id`,
      [dropId, largest.width, largest.height, maxImages],
    );
    const imageId = rows[0]?.id;
    if (!imageId) return undefined;
    await tx.query(
      `INSERT INTO image_files (image_id, width, height, content_hash, bytes)
       SELECT $1::uuid, f.width, f.height, f.content_hash, f.bytes
       FROM (VALUES ${values.join(", ")}) AS f(width, height, content_hash, bytes)`,
      [imageId, ...fileParams],
    );
    return imageId;
  });
}

/** Every picture of these drops, oldest first, with the widths they come in. */
export async function listDropImages(db: Database, dropIds: string[]): Promise<DropImageRow[]> {
  if (dropIds.length === 0) return [];
  const { rows } = await db.query<{
    id: string;
    drop_id: string;
    width: number;
    height: number;
    content_hash: string;
  }>(
    `SELECT i.id, i.drop_id, f.width, f.height, f.content_hash
     FROM drop_images i JOIN image_files f ON f.image_id = i.id
     WHERE i.drop_id = ANY($1::uuid[])
     ORDER BY i.created_at, i.id, f.width`,
    [dropIds],
  );
  const images = new Map<string, DropImageRow>();
  for (const row of rows) {
    let image = images.get(row.id);
    if (!image) {
      image = { id: row.id, dropId: row.drop_id, files: [] };
      images.set(row.id, image);
    }
    image.files.push({ width: row.width, height: row.height, contentHash: row.content_hash });
  }
  return [...images.values()];
}

export async function countDropImages(db: Database, dropId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM drop_images WHERE drop_id = $1::uuid",
    [dropId],
  );
  return rows[0]!.n;
}

/** Removes the picture and its files; false when the drop has no such picture. */
export async function deleteDropImage(db: Database, dropId: string, imageId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      "DELETE FROM drop_images WHERE id = $2::uuid AND drop_id = $1::uuid RETURNING id",
      [dropId, imageId],
    );
    if (rows.length === 0) return false;
    await tx.query("DELETE FROM image_files WHERE image_id = $1::uuid", [imageId]);
    return true;
  });
}

/** One encoded file, when it exists under this hash (a URL with a stale hash finds nothing). */
export async function readImageFile(
  db: Database,
  imageId: string,
  width: number,
  contentHash: string,
): Promise<Uint8Array | undefined> {
  const { rows } = await db.query<{ bytes: Uint8Array }>(
    `SELECT bytes FROM image_files
     WHERE image_id = $1::uuid AND width = $2::int AND content_hash = $3::text`,
    [imageId, width, contentHash],
  );
  return rows[0]?.bytes;
}

/**
 * A place for a picture chosen on a new-drop form that came back with errors (sql/0188): the picture is
 * stored as an image of this id (not a drop's), owned by the seller, until the drop is created.
 */
export async function insertPendingPicture(db: Database, sellerId: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    "INSERT INTO pending_pictures (seller_id) VALUES ($1::uuid) RETURNING id",
    [sellerId],
  );
  return rows[0]!.id;
}

/** True when `pendingId` is a pending picture of this seller (and not yet moved to a drop). */
export async function isPendingPictureOf(
  db: Database,
  pendingId: string,
  sellerId: string,
): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    "SELECT id FROM pending_pictures WHERE id = $1::uuid AND seller_id = $2::uuid",
    [pendingId, sellerId],
  );
  return rows.length > 0;
}

/**
 * Moves the seller's pending picture to the new drop, in its first place, in one transaction; false when
 * there is none under this id for this seller (already moved, cleared out, or another seller's).
 */
export async function movePendingPicture(
  db: Database,
  pendingId: string,
  sellerId: string,
  dropId: string,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      "DELETE FROM pending_pictures WHERE id = $1::uuid AND seller_id = $2::uuid RETURNING id",
      [pendingId, sellerId],
    );
    if (rows.length === 0) return false;
    const moved = await tx.query<{ id: string }>(
      `UPDATE drop_images SET drop_id = $2::uuid, slot = 1
       WHERE drop_id = $1::uuid AND NOT EXISTS (SELECT 1 FROM drop_images i WHERE i.drop_id = $2::uuid)
       RETURNING id`,
      [pendingId, dropId],
    );
    return moved.rows.length > 0;
  });
}

/**
 * Clears out pending pictures older than `olderThanHours` (their image rows and files with them), at most
 * `limit` per call (each clears three small sets of rows: far inside DSQL's 3,000 per transaction).
 */
export async function deleteStalePendingPictures(
  db: Database,
  olderThanHours: number,
  limit: number,
): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `DELETE FROM pending_pictures WHERE id IN (
         SELECT id FROM pending_pictures WHERE created_at < now() - $1::int * interval '1 hour' LIMIT $2::int)
       RETURNING id`,
      [olderThanHours, limit],
    );
    const ids = rows.map((row) => row.id);
    if (ids.length === 0) return 0;
    const images = await tx.query<{ id: string }>(
      "DELETE FROM drop_images WHERE drop_id = ANY($1::uuid[]) RETURNING id",
      [ids],
    );
    await tx.query("DELETE FROM image_files WHERE image_id = ANY($1::uuid[])", [
      images.rows.map((row) => row.id),
    ]);
    return ids.length;
  });
}
