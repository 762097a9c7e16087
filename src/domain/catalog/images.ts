import { type Database, violatedConstraint } from "../../db/database";
import type { DropImageRow } from "../../repository";
import * as repo from "../../repository";
import { InvalidInput, NotFound } from "../errors";
import { defaultRetryPolicy, type RetryPolicy, TryAgain, withRetry } from "../purchase/retry";
import type { Drop } from "../types";
import { encodeDropImage } from "./image-encoding";

/** How many pictures one drop may have. */
export const MAX_IMAGES_PER_DROP = 8;

/** A picture as pages and JSON show it: the largest file as `url`, every width for srcset. */
export interface DropImage {
  id: string;
  url: string;
  width: number;
  height: number;
  sources: { url: string; width: number }[];
}

/** The immutable address of one encoded file: its content hash is part of it. */
export const imageFileUrl = (imageId: string, file: { width: number; contentHash: string }) =>
  `/images/${imageId}/${file.width}-${file.contentHash}.webp`;

/** A stored picture (a drop's, or a shop's logo or banner) as pages show it. */
export function toDropImage(row: Pick<DropImageRow, "id" | "files">): DropImage {
  const largest = row.files.at(-1)!;
  return {
    id: row.id,
    url: imageFileUrl(row.id, largest),
    width: largest.width,
    height: largest.height,
    sources: row.files.map((file) => ({ url: imageFileUrl(row.id, file), width: file.width })),
  };
}

/** A picture kept for a new-drop form that was never sent again is cleared out after this long. */
const PENDING_HOURS = 24;

/** Why an upload was refused when the drop already has all its pictures. */
export const TOO_MANY_IMAGES = `A drop has at most ${MAX_IMAGES_PER_DROP} pictures; remove one first`;

const tooMany = () => new InvalidInput([{ path: "image", message: TOO_MANY_IMAGES }]);

/** A drop's pictures, oldest first. */
export async function imagesOfDrop(db: Database, dropId: string): Promise<DropImage[]> {
  return (await repo.listDropImages(db, [dropId])).map(toDropImage);
}

/**
 * Drop pictures: upload (re-encoded, see image-encoding.ts), removal, listing and the files themselves.
 * Callers check that the seller owns the drop (shop.findOwnDrop) before adding or removing.
 * @example const image = await images.add(await shop.findOwnDrop(seller, ref), bytes)
 */
export function createDropImages(db: Database, retryPolicy: RetryPolicy = defaultRetryPolicy) {
  /** Re-encodes and stores a picture under `ownerId`: a drop's id, or a pending picture's. */
  async function addTo(ownerId: string, upload: Uint8Array): Promise<DropImage> {
    if ((await repo.countDropImages(db, ownerId)) >= MAX_IMAGES_PER_DROP) throw tooMany();
    const files = await encodeDropImage(upload);
    const id = await withRetry(retryPolicy, async () => {
      try {
        return await repo.insertDropImage(db, ownerId, files, MAX_IMAGES_PER_DROP);
      } catch (error) {
        // Another upload took the same place first: look for a free one again.
        if (violatedConstraint(error) === repo.IMAGE_SLOT_CONSTRAINT) throw new TryAgain("place taken");
        throw error;
      }
    });
    if (id === undefined) throw tooMany();
    return toDropImage({
      id,
      files: files.map((f) => ({ width: f.width, height: f.height, contentHash: f.contentHash })),
    });
  }

  return {
    add: (drop: Drop, upload: Uint8Array): Promise<DropImage> => addTo(drop.id, upload),

    /**
     * Keeps a picture chosen on a new-drop form that has to come back (a browser never sends a file twice):
     * re-encoded and stored as a pending picture of the seller, refused as `add` refuses (too large, not a
     * picture) before anything is written. Pending pictures older than a day are cleared out on the way.
     */
    async keepPending(
      sellerId: string,
      upload: Uint8Array,
    ): Promise<{ pendingId: string; image: DropImage }> {
      await repo.deleteStalePendingPictures(db, PENDING_HOURS, 100);
      const files = await encodeDropImage(upload);
      const pendingId = await repo.insertPendingPicture(db, sellerId);
      const id = await repo.insertDropImage(db, pendingId, files, 1);
      if (id === undefined) throw new Error("a fresh pending picture had no free place");
      const image = toDropImage({
        id,
        files: files.map((f) => ({ width: f.width, height: f.height, contentHash: f.contentHash })),
      });
      return { pendingId, image };
    },

    /** The seller's pending picture, to show on the form again; undefined when it is not theirs or gone. */
    async pending(sellerId: string, pendingId: string): Promise<DropImage | undefined> {
      if (!(await repo.isPendingPictureOf(db, pendingId, sellerId))) return undefined;
      const [row] = await repo.listDropImages(db, [pendingId]);
      return row ? toDropImage(row) : undefined;
    },

    /** Moves the seller's pending picture to their new drop; false when there was none to move. */
    attachPending: (sellerId: string, pendingId: string, drop: Drop): Promise<boolean> =>
      repo.movePendingPicture(db, pendingId, sellerId, drop.id),

    async remove(drop: Drop, imageId: string): Promise<void> {
      if (!(await repo.deleteDropImage(db, drop.id, imageId))) throw new NotFound("image");
    },

    of: (dropId: string) => imagesOfDrop(db, dropId),

    /** Pictures of many drops at once (the shop page), keyed by drop id. */
    async ofEach(dropIds: string[]): Promise<Map<string, DropImage[]>> {
      const byDrop = new Map<string, DropImage[]>();
      for (const row of await repo.listDropImages(db, dropIds)) {
        byDrop.set(row.dropId, [...(byDrop.get(row.dropId) ?? []), toDropImage(row)]);
      }
      return byDrop;
    },

    file: (imageId: string, width: number, contentHash: string) =>
      repo.readImageFile(db, imageId, width, contentHash),
  };
}

export type DropImages = ReturnType<typeof createDropImages>;
