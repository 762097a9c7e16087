import type { ShopFront } from "../../src/domain/catalog/storefront";

/** Where a fan page's shop links lead: the shop's own page. Apart so that every fan view can use it. */
export const shopHref = (shop: Pick<ShopFront, "slug">) => `/s/${shop.slug}`;
