/**
 * Catalog and drops: a drop's terms and lifecycle, its slug, pictures, the shop's storefront and brand, go-live times in a seller's zone.
 * This file is the folder's public face: the rest of the app imports the capability from here.
 */
export * from "./brand";
export * from "./drop-lifecycle";
export * from "./image-encoding";
export * from "./images";
export * from "./shop-brand";
export * from "./shop-slug";
export * from "./storefront";
export * from "./zoned-time";
