import { createHash } from "node:crypto";
import type { Sharp } from "sharp";
import { ImageTooLarge, InvalidInput } from "../errors";

/** The largest upload accepted, in bytes: a phone photo fits; anything bigger is refused before decoding. */
export const MAX_IMAGE_BYTES = 8 * 1024 * 1024;
/** Widths the fan page asks for through srcset: a phone's column, then a desktop column at 2x. */
export const IMAGE_WIDTHS = [640, 1280] as const;
/** Decoding a 20000 x 20000 "image bomb" would take gigabytes; refuse past this many pixels. */
const MAX_INPUT_PIXELS = 40_000_000;
/** DSQL caps a column at 1 MiB; each encoded file stays well under it. */
const MAX_FILE_BYTES = 900 * 1024;
const ACCEPTED_FORMATS = new Set(["jpeg", "png", "webp"]);

export interface EncodedImage {
  width: number;
  height: number;
  /** sha256 of the bytes, hex, first 32 characters: names the file in its URL. */
  contentHash: string;
  bytes: Buffer;
}

/** Why an upload that is not a JPEG, PNG or WebP picture was refused. */
export const NOT_A_PICTURE = "Choose a JPEG, PNG or WebP picture";

const notAnImage = () => new InvalidInput([{ path: "image", message: NOT_A_PICTURE }]);

/**
 * Turns an uploaded picture into WebP files at IMAGE_WIDTHS, or the widths given (never enlarged; a small picture gives one
 * file), turned upright by its EXIF orientation and stripped of all metadata (sharp writes none unless
 * asked with `withMetadata`/`keepMetadata`). Throws InvalidInput for anything but JPEG/PNG/WebP and
 * ImageTooLarge past MAX_IMAGE_BYTES.
 * @example const files = await encodeDropImage(await file.arrayBuffer())
 */
export async function encodeDropImage(
  input: Uint8Array,
  targetWidths: readonly number[] = IMAGE_WIDTHS,
): Promise<EncodedImage[]> {
  if (input.byteLength > MAX_IMAGE_BYTES) throw new ImageTooLarge(MAX_IMAGE_BYTES);
  if (input.byteLength === 0) throw notAnImage();
  // Loaded on the first upload: libvips costs memory a server that never sees an upload should not pay.
  const { default: sharp } = await import("sharp");
  const source = () => sharp(input, { limitInputPixels: MAX_INPUT_PIXELS, failOn: "error" });
  let width: number;
  try {
    const meta = await source().metadata();
    if (!meta.format || !ACCEPTED_FORMATS.has(meta.format)) throw notAnImage();
    // Width once turned upright (orientations 5-8 swap the sides).
    width = (meta.orientation ?? 1) >= 5 ? (meta.height ?? 0) : (meta.width ?? 0);
    if (width <= 0) throw notAnImage();
  } catch (error) {
    if (error instanceof InvalidInput) throw error;
    throw notAnImage();
  }
  const widths = [...new Set(targetWidths.map((w) => Math.min(w, width)))];
  try {
    return await Promise.all(widths.map((w) => encodeAt(source, w)));
  } catch (error) {
    if (error instanceof InvalidInput) throw error;
    throw notAnImage(); // a truncated or corrupt file that only fails while decoding the pixels
  }
}

async function encodeAt(source: () => Sharp, width: number): Promise<EncodedImage> {
  // A noisy photo can be large at high quality; step the quality down until it fits the column.
  for (const quality of [80, 65, 50, 35]) {
    const { data, info } = await source()
      .rotate()
      .resize({ width, withoutEnlargement: true })
      .webp({ quality })
      .toBuffer({ resolveWithObject: true });
    if (data.byteLength <= MAX_FILE_BYTES) {
      const contentHash = createHash("sha256").update(data).digest("hex").slice(0, 32);
      return { width: info.width, height: info.height, contentHash, bytes: data };
    }
  }
  throw notAnImage();
}
