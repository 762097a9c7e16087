import { type Context, Hono } from "hono";
import * as v from "valibot";
import { DropImagesCard, DropImagesPage } from "../../../views/seller/drop-images-card";
import { type DropImages, MAX_IMAGE_BYTES, NOT_A_PICTURE, TOO_MANY_IMAGES } from "../../domain/catalog";
import { DomainError, ImageTooLarge, InvalidInput, NotFound } from "../../domain/errors";
import type { Shop } from "../../domain/shop";
import type { Drop, Seller } from "../../domain/types";
import { statusFor } from "../../http/error-response";
import { DropRef } from "../../http/schemas";
import { parseWith } from "../../http/validation";
import { checkedForm } from "../csrf";
import { requireSeller, type SellerEnv } from "../session";
import { shellOf } from "./seller-auth-routes";

/** The picture a seller form carried in field `image`, or undefined when none was chosen. */
export async function formPicture(c: Context): Promise<Uint8Array | undefined> {
  const file = (await c.req.parseBody()).image; // parsed once already by checkedForm; Hono keeps it
  if (!(file instanceof File) || file.size === 0) return undefined;
  return new Uint8Array(await file.arrayBuffer());
}

/** A refused picture in the seller's words, or undefined for errors that are not about the picture. */
export function pictureProblem(error: unknown): string | undefined {
  if (error instanceof ImageTooLarge) return error.message;
  if (error instanceof InvalidInput) return error.issues.find((issue) => issue.path === "image")?.message;
  return undefined;
}

/**
 * The problems a link to the Images card may name, by code: the page shows only text the server wrote,
 * never text from the address (anyone can send a seller a link with `?problem=<anything>`). The new-drop
 * form no longer redirects here with a refused picture (it shows the problem on the form itself).
 */
const PICTURE_PROBLEMS = new Map([
  ["too_large", new ImageTooLarge(MAX_IMAGE_BYTES).message],
  ["too_many", TOO_MANY_IMAGES],
  ["not_a_picture", NOT_A_PICTURE],
]);

const ImageId = v.pipe(v.string(), v.uuid());

/**
 * The Images card of a drop's dashboard: GET (fragment for htmx, page otherwise), upload, remove.
 * Uploads and removals are plain form posts that redirect back to the dashboard.
 * @example routes.route("/", sellerImageRoutes(shop, createDropImages(db)))
 */
export function sellerImageRoutes(shop: Shop, images: DropImages) {
  const routes = new Hono<SellerEnv>();
  routes.use("/seller/drops/:ref/images", requireSeller);
  routes.use("/seller/drops/:ref/images/*", requireSeller);

  async function ownDrop(c: Context<SellerEnv>): Promise<Drop> {
    const seller: Seller = c.var.seller!;
    try {
      return await shop.findOwnDrop(seller, parseWith(DropRef, c.req.param("ref")));
    } catch (error) {
      if (error instanceof InvalidInput) throw new NotFound("drop");
      throw error;
    }
  }

  async function card(c: Context<SellerEnv>, drop: Drop, error?: string, status: 200 | 400 | 413 = 200) {
    const props = {
      slug: drop.slug,
      title: drop.title,
      images: await images.of(drop.id),
      csrfToken: c.var.csrfToken,
      error,
    };
    c.header("Cache-Control", "no-store");
    if (c.req.header("hx-request") === "true") return c.html(<DropImagesCard {...props} />, status);
    return c.html(<DropImagesPage {...props} {...shellOf(c)} />, status);
  }

  routes.get("/seller/drops/:ref/images", async (c) => {
    // An unknown code shows nothing: a Map, so "constructor" is not a message either.
    return card(c, await ownDrop(c), PICTURE_PROBLEMS.get(c.req.query("problem") ?? ""));
  });

  routes.post("/seller/drops/:ref/images", async (c) => {
    await checkedForm(c, c.var.csrfToken);
    const drop = await ownDrop(c);
    try {
      const picture = await formPicture(c);
      if (!picture) throw new InvalidInput([{ path: "image", message: "Choose a picture to upload" }]);
      await images.add(drop, picture);
    } catch (error) {
      const problem = pictureProblem(error);
      if (problem === undefined || !(error instanceof DomainError)) throw error;
      return card(c, drop, problem, statusFor(error) === 413 ? 413 : 400);
    }
    return c.redirect(`/seller/drops/${drop.slug}#drop-images`, 303);
  });

  routes.post("/seller/drops/:ref/images/:imageId/delete", async (c) => {
    await checkedForm(c, c.var.csrfToken);
    const drop = await ownDrop(c);
    const imageId = v.safeParse(ImageId, c.req.param("imageId"));
    if (!imageId.success) throw new NotFound("image");
    await images.remove(drop, imageId.output);
    return c.redirect(`/seller/drops/${drop.slug}#drop-images`, 303);
  });

  return routes;
}
