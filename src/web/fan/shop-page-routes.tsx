import { Hono } from "hono";
import { ShopNotFoundPage, ShopPage } from "../../../views/fan/shop-page";
import type { Storefront } from "../../domain/catalog";
import { NotFound } from "../../domain/errors";

const SHOP_SLUG = /^[a-z0-9-]{1,60}$/;

/**
 * GET /s/<shop-slug>: a shop's page for fans, listing its live and upcoming drops (and the last ones that
 * sold out), each linking to its drop page.
 * @example app.route("/s", shopPageRoutes(createStorefront(db)))
 */
export function shopPageRoutes(storefront: Storefront, publicUrl?: string) {
  const routes = new Hono();
  routes.get("/:shopSlug", async (c) => {
    const slug = c.req.param("shopSlug");
    if (!SHOP_SLUG.test(slug)) return c.html(<ShopNotFoundPage />, 404);
    try {
      const page = await storefront.shopPage(slug);
      // Short-lived: a drop going live or selling out should show within a few seconds.
      c.header("Cache-Control", "public, max-age=5");
      return c.html(<ShopPage {...page} origin={new URL(publicUrl ?? c.req.url).origin} />);
    } catch (error) {
      if (error instanceof NotFound) return c.html(<ShopNotFoundPage />, 404);
      throw error;
    }
  });
  return routes;
}
