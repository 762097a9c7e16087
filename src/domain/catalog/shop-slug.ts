import { randomBytes } from "node:crypto";
import { type Database, violatedConstraint } from "../../db/database";
import * as repo from "../../repository";

/** "Summer Sneaker!" -> "summer-sneaker": lower-case words joined by dashes, at most 40 characters. */
export function slugBase(text: string): string {
  return text
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
}

/** Names no shop may take, because they would read as the site's own pages. */
const RESERVED = new Set(["seller", "api", "static", "images", "admin", "new", "s", "d"]);

/** "Berlin Kicks" -> "berlin-kicks"; after a clash (or for a reserved name) with a short random tail. */
function candidate(name: string, attempt: number): string {
  const base = slugBase(name) || "shop";
  return attempt === 0 && !RESERVED.has(base) ? base : `${base}-${randomBytes(3).toString("hex")}`;
}

/**
 * The seller's shop address (/s/<slug>): the one they have, or a new one from their shop name. Called at
 * sign-up, and by pages for sellers from before shop addresses existed (a column added later stays NULL
 * on old rows until then; DSQL cannot fill it inside the DDL). Safe to race: the first claim wins.
 * @example const slug = await assignShopSlug(db, seller.id, seller.name)
 */
export async function assignShopSlug(db: Database, sellerId: string, name: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await repo.claimShopSlug(db, sellerId, candidate(name, attempt));
    } catch (error) {
      if (violatedConstraint(error) !== "sellers_shop_slug_key" || attempt >= 5) throw error;
    }
  }
}
