import { Hono } from "hono";
import type { DropImages } from "../domain/catalog";

/** "1280-<32 hex>.webp": the file's width and content hash, as imageFileUrl writes them. */
const FILE_NAME = /^(\d{1,5})-([0-9a-f]{32})\.webp$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * GET /images/<imageId>/<width>-<hash>.webp: drop pictures from the database. The content hash is in
 * the address, so the bytes behind one address never change: browsers and CDNs may keep them a year
 * (`immutable`: no revalidation on reload), and the hash doubles as the ETag.
 * @example app.route("/images", imageFileRoutes(createDropImages(db)))
 */
export function imageFileRoutes(images: DropImages) {
  const routes = new Hono();
  routes.get("/:imageId/:file", async (c) => {
    const imageId = c.req.param("imageId").toLowerCase();
    const match = FILE_NAME.exec(c.req.param("file"));
    if (!UUID.test(imageId) || !match) return c.notFound();
    const etag = `"${match[2]}"`;
    const headers = {
      "Cache-Control": "public, max-age=31536000, immutable",
      ETag: etag,
    };
    if (
      c.req
        .header("if-none-match")
        ?.split(/\s*,\s*/)
        .includes(etag)
    ) {
      return c.body(null, 304, headers);
    }
    const bytes = await images.file(imageId, Number(match[1]), match[2]!);
    if (!bytes) return c.notFound();
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, { ...headers, "Content-Type": "image/webp" });
  });
  return routes;
}
