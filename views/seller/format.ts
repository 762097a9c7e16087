/** Formatting shared by the seller pages. Pure: every instant comes in as an argument. */

/** "$1,234.50": amounts are kept in cents (minor units) and shown with two decimals. */
export function formatMoney(cents: number, currency: string): string {
  try {
    return new Intl.NumberFormat("en-US", { style: "currency", currency, minimumFractionDigits: 2 }).format(
      cents / 100,
    );
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

/** "3d 04h 05m", "2h 03m 10s", "4m 09s", "12s": a span of time at the precision that matters. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  if (days > 0) return `${days}d ${two(hours)}h ${two(minutes)}m`;
  if (hours > 0) return `${hours}h ${two(minutes)}m ${two(seconds)}s`;
  if (minutes > 0) return `${minutes}m ${two(seconds)}s`;
  return `${seconds}s`;
}

/**
 * Numbers and dates are written one way on every seller page: Intl's grouping ("1,900") and one date style
 * ("Dec 1, 2026, 18:00 UTC"). The server renders in UTC; dashboard.js adds the seller's own clock reading.
 */
const NUMBER = new Intl.NumberFormat("en-US");
const DECIMAL = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const DATE_TIME = new Intl.DateTimeFormat("en-US", {
  dateStyle: "medium",
  timeStyle: "short",
  hourCycle: "h23",
  timeZone: "UTC",
});
const TIME = new Intl.DateTimeFormat("en-US", {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
  timeZone: "UTC",
});
const TIME_PRECISE = new Intl.DateTimeFormat("en-US", {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  fractionalSecondDigits: 3,
  hourCycle: "h23",
  timeZone: "UTC",
});

/** "1,900". */
export const formatNumber = (n: number): string => NUMBER.format(n);

/** "1,900.5": rates with one decimal. */
export const formatRate = (n: number): string => DECIMAL.format(n);

/** "Dec 1, 2026, 18:00 UTC": the one date style of the seller pages. */
export function formatUtcMinute(instant: Date): string {
  return `${DATE_TIME.format(instant)} UTC`;
}

/** "18:00:05 UTC": a time of day today, e.g. when the numbers were read. */
export const formatUtcTime = (instant: Date): string => `${TIME.format(instant)} UTC`;

/** "Dec 1, 18:00:05.123": an order's time in the audit trail, to the millisecond (UTC, said in the header). */
export const formatOrderTime = (instant: Date): string => TIME_PRECISE.format(instant);

/** "2026-12-01 18:00:05.123": order times to the millisecond, in UTC like the rest of the audit trail. */
export function formatUtcPrecise(instant: Date): string {
  return instant.toISOString().slice(0, 23).replace("T", " ");
}

/**
 * Sell-through in whole percent ("67%" for 8 of 12): rounded, but never 100 % while a unit is left and
 * never 0 % once one has sold.
 */
export function sellThrough(sold: number, quantity: number): string {
  if (quantity <= 0 || sold <= 0) return "0%";
  if (sold >= quantity) return "100%";
  return `${Math.min(99, Math.max(1, Math.round((sold * 100) / quantity)))}%`;
}

export const STATUS_LABEL = {
  upcoming: "Upcoming",
  live: "Live",
  sold_out: "Sold out",
  paused: "Paused",
  cancelled: "Cancelled",
} as const;
