import sharp from "sharp";

/**
 * A real picture made on the spot: a gradient with a block of colour, so encoders have something to do.
 * `exif` embeds camera metadata, to check that it is stripped.
 */
export async function makePicture(
  width: number,
  height: number,
  format: "png" | "jpeg" | "webp" = "png",
  options: { exif?: boolean } = {},
): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = (x * 255) / width;
      pixels[i + 1] = (y * 255) / height;
      pixels[i + 2] = x > width / 3 && x < (2 * width) / 3 ? 200 : 60;
    }
  }
  let image = sharp(pixels, { raw: { width, height, channels: 3 } });
  if (options.exif) {
    image = image.withExif({ IFD0: { Make: "SecretCam", Copyright: "Ada's GPS: 52.52,13.40" } });
  }
  return image.toFormat(format).toBuffer();
}

/** A multipart body with the picture as field `image`. */
export function imageForm(bytes: Uint8Array, type = "image/png", name = "picture.png"): FormData {
  const form = new FormData();
  form.append("image", new Blob([bytes as Uint8Array<ArrayBuffer>], { type }), name);
  return form;
}
