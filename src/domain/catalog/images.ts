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
  return {
    async add(drop: Drop, upload: Uint8Array): Promise<DropImage> {
      // A cheap early answer before encoding; the insert itself is the guard (see insertDropImage).
      if ((await repo.countDropImages(db, drop.id)) >= MAX_IMAGES_PER_DROP) throw tooMany();
      const files = await encodeDropImage(upload);
      const id = await withRetry(retryPolicy, async () => {
        try {
          return await repo.insertDropImage(db, drop.id, files, MAX_IMAGES_PER_DROP);
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
    },

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
