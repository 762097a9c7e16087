/** "$49.00": prices are stored in the currency's minor unit. */
export function formatPrice(priceCents: number, currency: string): string {
  return new Intl.NumberFormat("en-US", { style: "currency", currency }).format(priceCents / 100);
}

/**
 * An order's short reference, "3F9A-21C0": the first eight hex digits of its id, which the seller's order
 * list starts with, so a fan can read it out and a seller can find it.
 * @example shortOrderRef("3f9a21c0-5b0f-4c2f-a3d3-f7695ffd2854") // "3F9A-21C0"
 */
export function shortOrderRef(orderId: string): string {
  const hex = orderId.replace(/-/g, "").slice(0, 8).toUpperCase();
  return `${hex.slice(0, 4)}-${hex.slice(4)}`;
}
