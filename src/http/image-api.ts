import { type Context, Hono, type MiddlewareHandler } from "hono";
import * as v from "valibot";
import { createDropImages, type DropImage } from "../domain/catalog";
import { InvalidInput, NotFound } from "../domain/errors";
import type { Shop } from "../domain/shop";
import type { Seller } from "../domain/types";
import { answer, describe, ImageJson, SELLER_AUTH } from "./openapi";
import { DropRef } from "./schemas";
import { parseWith } from "./validation";

type ApiEnv = { Variables: { seller: Seller } };

/** An image as the JSON API shows it: `{id, url, width, height}`, the url being the widest file. */
export const imageJson = (image: DropImage) => ({
  id: image.id,
  url: image.url,
  width: image.width,
  height: image.height,
});

const ImageId = v.pipe(v.string(), v.uuid("not an image id"));

function refOf(c: Context, name: string, schema: v.GenericSchema<string, string>, what: string): string {
  try {
    return parseWith(schema, c.req.param(name));
  } catch {
    throw new NotFound(what);
  }
}

/**
 * The picture that came as multipart field `image`, as bytes. 400 when the body is not a form or the
 * field is missing or not a file; size and format are judged by the encoder.
 */
export async function uploadedImage(c: Context): Promise<Uint8Array> {
  const type = c.req.header("content-type") ?? "";
  const missing = new InvalidInput([
    { path: "image", message: "Send the picture as multipart/form-data field image" },
  ]);
  if (!/^multipart\/form-data\b/i.test(type)) throw missing;
  let file: unknown;
  try {
    file = (await c.req.parseBody()).image;
  } catch {
    throw new InvalidInput([{ path: "image", message: "The upload could not be read; send it again" }]);
  }
  if (!(file instanceof File)) throw missing;
  return new Uint8Array(await file.arrayBuffer());
}

/**
 * POST /drops/:ref/images (multipart, field `image`) -> 201 {image}; DELETE /drops/:ref/images/:imageId
 * -> 204. Owner only: another seller's drop is reported as missing.
 * @example api.route("/", imageApiRoutes(shop, requireSeller))
 */
export function imageApiRoutes(shop: Shop, requireSeller: MiddlewareHandler<ApiEnv>) {
  const images = createDropImages(shop.db);
  const api = new Hono<ApiEnv>();

  api.post(
    "/drops/:ref/images",
    describe(
      {
        summary: "Add a picture (JPEG, PNG or WebP up to 8 MB) as multipart field image",
        tags: ["drops"],
        security: SELLER_AUTH,
        requestBody: {
          required: true,
          content: {
            "multipart/form-data": {
              schema: {
                type: "object",
                required: ["image"],
                properties: { image: { type: "string", format: "binary" } },
              },
            },
          },
        },
        responses: { 201: answer("the picture", v.strictObject({ image: ImageJson })) },
      },
      [400, 401, 404, 413, 503],
    ),
    requireSeller,
    async (c) => {
      const drop = await shop.findOwnDrop(c.var.seller, refOf(c, "ref", DropRef, "drop"));
      const image = await images.add(drop, await uploadedImage(c));
      return c.json({ image: imageJson(image) }, 201);
    },
  );

  api.delete(
    "/drops/:ref/images/:imageId",
    describe(
      {
        summary: "Remove a picture",
        tags: ["drops"],
        security: SELLER_AUTH,
        responses: { 204: { description: "removed" } },
      },
      [401, 404, 503],
    ),
    requireSeller,
    async (c) => {
      const drop = await shop.findOwnDrop(c.var.seller, refOf(c, "ref", DropRef, "drop"));
      await images.remove(drop, refOf(c, "imageId", ImageId, "image"));
      return c.body(null, 204);
    },
  );

  return api;
}
