import type { Variant } from "../../domain/purchase/variants";
import type { Shop } from "../../domain/shop";
import type { Drop } from "../../domain/types";

/**
 * The size (variant) an order is for, named on the fan's receipt, hold page and closed receipt: only on a
 * drop of several sizes — a one-size drop names none anywhere. The variants are the shop's cached list.
 * @example const size = await orderSize(shop, drop, order.variant); size?.name // "M"
 */
export async function orderSize(
  shop: Pick<Shop, "variantsOf">,
  drop: Drop,
  position: number | undefined,
): Promise<Variant | undefined> {
  if ((drop.variantCount ?? 0) < 2) return undefined;
  const variants = await shop.variantsOf(drop);
  if (variants.length < 2) return undefined;
  return variants.find((variant) => variant.position === (position ?? 0));
}
