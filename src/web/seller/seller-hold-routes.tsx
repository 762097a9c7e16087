import { Hono } from "hono";
import { UnitClaims } from "../../../views/seller/unit-claims";
import { InvalidInput, NotFound } from "../../domain/errors";
import type { Shop } from "../../domain/shop";
import { DropRef } from "../../http/schemas";
import { parseWith } from "../../http/validation";
import * as repo from "../../repository";
import { requireSeller, type SellerEnv } from "../session";

/** Claims shown at most on a drop's dashboard (a hold drop of N units has at least N when sold). */
const CLAIMS_SHOWN = 500;

/** The seller's view of a hold drop's units: each unit's holds, payments and returns (owner only). */
export function sellerHoldRoutes(shop: Shop) {
  const routes = new Hono<SellerEnv>();
  routes.use("/seller/drops/:ref/unit-claims", requireSeller);
  routes.get("/seller/drops/:ref/unit-claims", async (c) => {
    let ref: string;
    try {
      ref = parseWith(DropRef, c.req.param("ref"));
    } catch (error) {
      if (error instanceof InvalidInput) throw new NotFound("drop");
      throw error;
    }
    const drop = await shop.findOwnDrop(c.var.seller!, ref);
    const claims = await repo.listUnitClaims(shop.db, drop.id, CLAIMS_SHOWN);
    c.header("Cache-Control", "no-store");
    return c.html(<UnitClaims claims={claims} limit={CLAIMS_SHOWN} />);
  });
  return routes;
}
