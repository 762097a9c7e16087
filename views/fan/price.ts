/** "$49.00": prices are stored in the currency's minor unit. */
export function formatPrice(priceCents: number, currency: string): string {
  return new Intl.NumberFormat("en-US", { style: "currency", currency }).format(priceCents / 100);
}
