/** Drop images and their encoded files. */
import type { Database } from "../db/database";
import type { EncodedImage } from "../domain/image-encoding";

/** One picture of a drop, without its bytes: what pages and JSON need to link to it. */
export interface DropImageRow {
  id: string;
  dropId: string;
  files: { width: number; height: number; contentHash: string }[];
}

/**
 * Writes the picture and every encoded file in one statement, so an image never exists half-stored.
 * The files are at most two (IMAGE_WIDTHS), each under 900 KB: far inside DSQL's 10 MiB per transaction.
 */
export async function insertDropImage(db: Database, dropId: string, files: EncodedImage[]): Promise<string> {
  const largest = files.reduce((a, b) => (b.width > a.width ? b : a));
  const params: unknown[] = [dropId, largest.width, largest.height];
  const values = files.map((file, i) => {
    params.push(file.width, file.height, file.contentHash, file.bytes);
    const n = 4 + i * 4;
    return `($${n}::int, $${n + 1}::int, $${n + 2}::text, $${n + 3}::bytea)`;
  });
  const { rows } = await db.query<{ id: string }>(
    `WITH new_image AS (
       INSERT INTO drop_images (drop_id, width, height) VALUES ($1::uuid, $2::int, $3::int) RETURNING id
     ), new_files AS (
       INSERT INTO image_files (image_id, width, height, content_hash, bytes)
       SELECT new_image.id, f.width, f.height, f.content_hash, f.bytes
       FROM new_image, (VALUES ${values.join(", ")}) AS f(width, height, content_hash, bytes)
       RETURNING width
     )
     SELECT id FROM new_image WHERE (SELECT count(*) FROM new_files) = ${files.length}`,
    params,
  );
  return rows[0]!.id;
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
  const { rows } = await db.query<{ id: string }>(
    `WITH gone AS (
       DELETE FROM drop_images WHERE id = $2::uuid AND drop_id = $1::uuid RETURNING id
     ), gone_files AS (
       -- PostgreSQL runs every data-modifying CTE to completion, referenced or not.
       DELETE FROM image_files WHERE image_id IN (SELECT id FROM gone) RETURNING image_id
     )
     SELECT id FROM gone`,
    [dropId, imageId],
  );
  return rows.length > 0;
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
