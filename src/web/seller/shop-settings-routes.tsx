import { type Context, Hono } from "hono";
import { brandFormValues, ShopSettingsPage } from "../../../views/seller/shop-settings";
import type { ShopBrands, Storefront } from "../../domain/catalog";
import { brandStylesheet, HEX_COLOUR } from "../../domain/catalog";
import { DomainError, ImageTooLarge, InvalidInput } from "../../domain/errors";
import type { BrandPictureSlot } from "../../repository";
import { checkedForm } from "../csrf";
import { requireSeller, type SellerEnv } from "../session";
import { shellOf } from "./seller-auth-routes";
import { formPicture, pictureProblem } from "./seller-image-routes";
import { parseBrandForm } from "./shop-settings-forms";

const SLOTS: readonly BrandPictureSlot[] = ["logo", "banner"];

/**
 * /seller/shop: the shop's brand (accent colour, bio, links, logo, banner). Plain forms with CSRF that
 * redirect back on success (POST-redirect-GET) and re-render with every problem otherwise.
 * @example routes.route("/", shopSettingsRoutes(createShopBrands(db), storefront))
 */
export function shopSettingsRoutes(brands: ShopBrands, storefront: Storefront) {
  const routes = new Hono<SellerEnv>();
  routes.use("/seller/shop", requireSeller);
  routes.use("/seller/shop/*", requireSeller);

  async function page(
    c: Context<SellerEnv>,
    extra: Partial<Parameters<typeof ShopSettingsPage>[0]> = {},
    status: 200 | 400 | 413 = 200,
  ) {
    const seller = c.var.seller!;
    const shop = await storefront.shopOf(seller.id);
    c.header("Cache-Control", "no-store");
    return c.html(
      <ShopSettingsPage
        {...shellOf(c)}
        shopName={shop.name}
        shopSlug={shop.slug}
        brand={shop.brand}
        values={brandFormValues(shop.brand)}
        errors={{}}
        {...extra}
      />,
      status,
    );
  }

  routes.get("/seller/shop", (c) => page(c, { saved: c.req.query("saved") === "1" }));

  routes.post("/seller/shop", async (c) => {
    const form = await checkedForm(c, c.var.csrfToken);
    const parsed = parseBrandForm(form);
    if (!parsed.ok) return page(c, { values: form, errors: parsed.errors }, 400);
    await brands.saveText(c.var.seller!.id, parsed.value);
    return c.redirect("/seller/shop?saved=1", 303);
  });

  for (const slot of SLOTS) {
    routes.post(`/seller/shop/${slot}`, async (c) => {
      await checkedForm(c, c.var.csrfToken);
      try {
        const picture = await formPicture(c);
        if (!picture) throw new InvalidInput([{ path: "image", message: `Choose a ${slot} to upload` }]);
        await brands.setPicture(c.var.seller!.id, slot, picture);
      } catch (error) {
        const message = pictureProblem(error);
        if (message === undefined || !(error instanceof DomainError)) throw error;
        return page(c, { pictureError: { slot, message } }, error instanceof ImageTooLarge ? 413 : 400);
      }
      return c.redirect(`/seller/shop?saved=1#shop-${slot}`, 303);
    });
    routes.post(`/seller/shop/${slot}/delete`, async (c) => {
      await checkedForm(c, c.var.csrfToken);
      await brands.clearPicture(c.var.seller!.id, slot);
      return c.redirect(`/seller/shop?saved=1#shop-${slot}`, 303);
    });
  }
  return routes;
}

/**
 * GET /brand/<rrggbb>.css: a shop accent's stylesheet. The colour is the whole address, so the answer
 * never changes (a year's immutable cache) and needs no database; pages link it because the CSP allows
 * no inline style.
 * @example app.route("/brand", brandStyleRoutes())
 */
export function brandStyleRoutes() {
  const routes = new Hono();
  routes.get("/:file", (c) => {
    const match = /^([0-9a-f]{6})\.css$/.exec(c.req.param("file"));
    if (!match || !HEX_COLOUR.test(`#${match[1]}`)) return c.notFound();
    c.header("Content-Type", "text/css; charset=utf-8");
    c.header("Cache-Control", "public, max-age=31536000, immutable");
    return c.body(brandStylesheet(`#${match[1]}`));
  });
  return routes;
}
