import type { MiddlewareHandler } from "hono";
import { MAX_IMAGE_BYTES } from "../domain/catalog";
import { bodySizeLimit } from "./body-size";

/**
 * Upload bodies may be this large: twice the largest picture, so a picture somewhat over the limit still
 * arrives and is refused with the form's own field error (413) instead of a bare one.
 */
export const MAX_UPLOAD_BODY_BYTES = 2 * MAX_IMAGE_BYTES;

/**
 * The routes that take a picture: the API's upload, the new-drop form, the dashboard's Images card and
 * the shop settings' logo and banner.
 */
export function isImageUpload(method: string, path: string): boolean {
  if (method !== "POST") return false;
  return (
    /^\/api\/drops\/[^/]+\/images$/.test(path) ||
    path === "/seller/drops" ||
    /^\/seller\/drops\/[^/]+\/images$/.test(path) ||
    path === "/seller/shop/logo" ||
    path === "/seller/shop/banner"
  );
}

/**
 * The app's body limit, with room for pictures on the upload routes only.
 * @example app.use("*", bodySizeLimitWithUploads(16 * 1024))
 */
export function bodySizeLimitWithUploads(maxBytes: number): MiddlewareHandler {
  const everywhere = bodySizeLimit(maxBytes);
  const uploads = bodySizeLimit(MAX_UPLOAD_BODY_BYTES);
  return (c, next) => (isImageUpload(c.req.method, c.req.path) ? uploads(c, next) : everywhere(c, next));
}
