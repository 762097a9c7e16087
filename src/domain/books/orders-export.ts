import type { ManagedOrder } from "../../repository/orders/manage";
import type { Drop } from "../types";

/** Orders read per query while exporting: memory stays bounded by one page, whatever the drop's size. */
export const EXPORT_PAGE_SIZE = 1000;

/**
 * The columns, the first six as they always were (spreadsheets built on them keep working). `variant` names
 * the size on a drop of several (empty on a drop made without). Shipping columns are empty when none was given.
 */
export const CSV_HEADER = [
  "unit",
  "order_id",
  "fan",
  "price",
  "currency",
  "created_at",
  "variant",
  "status",
  "paid_at",
  "ship_name",
  "ship_line1",
  "ship_line2",
  "ship_city",
  "ship_postal_code",
  "ship_country",
  "fulfilled_at",
  "tracking_url",
] as const;

/** Excel reads a CSV without a byte-order mark in the machine's legacy code page, and mangles accents. */
export const UTF8_BOM = "\uFEFF";

/**
 * One CSV cell (RFC 4180 quoting). A cell a spreadsheet would run as a formula (starting with = + - @, tab
 * or carriage return) gets a leading apostrophe, as OWASP's CSV-injection advice says; fans choose their
 * own names, so this matters.
 * @example csvCell("=HYPERLINK(1)") // "'=HYPERLINK(1)"
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export const csvLine = (cells: readonly string[]): string => `${cells.map(csvCell).join(",")}\r\n`;

/** "12.50": the price in the currency's major unit, as a number a spreadsheet can sum. */
const priceText = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;

const timeText = (at: Date | null) => at?.toISOString() ?? "";

/** One order's row: the fan and address as they typed them; "placed" is an instant order. */
export function orderCsvLine(drop: Drop, order: ManagedOrder): string {
  const ship = order.shipping;
  return csvLine([
    String(order.unitNo),
    order.id,
    order.fan,
    priceText(order.priceCents),
    drop.currency,
    order.createdAt.toISOString(),
    order.variantName ?? "",
    order.fulfilledAt ? "fulfilled" : order.status,
    timeText(order.paidAt),
    ship?.name ?? "",
    ship?.line1 ?? "",
    ship?.line2 ?? "",
    ship?.city ?? "",
    ship?.postalCode ?? "",
    ship?.country ?? "",
    timeText(order.fulfilledAt),
    order.trackingUrl ?? "",
  ]);
}

/**
 * The CSV of a drop's orders (live, refunded and cancelled), unit by unit, UTF-8 with a byte-order mark, as
 * a stream pulled page by page: the next page (the orders of the next `pageSize` unit numbers) is read only
 * when the client has taken the previous one, so a million-unit export holds one page in memory. `units` is
 * how far the numbers reach (the drop's quantity, or more where a size lowered once live kept its numbers).
 * @example new Response(ordersCsvStream(drop, (after, n) => repo.listOrdersByUnit(db, drop.id, after, n)))
 */
export function ordersCsvStream(
  drop: Drop,
  readPage: (afterUnit: number, span: number) => Promise<ManagedOrder[]>,
  pageSize = EXPORT_PAGE_SIZE,
  units = drop.quantity,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let afterUnit = -1;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (afterUnit < 0) {
          afterUnit = 0;
          controller.enqueue(encoder.encode(UTF8_BOM + csvLine(CSV_HEADER)));
          return;
        }
        // Windows with no orders (units not sold) are skipped without handing the client an empty chunk.
        while (afterUnit < units) {
          const page = await readPage(afterUnit, pageSize);
          afterUnit += pageSize;
          if (page.length > 0) {
            controller.enqueue(encoder.encode(page.map((order) => orderCsvLine(drop, order)).join("")));
            return;
          }
        }
        controller.close();
      },
    },
    { highWaterMark: 1 },
  );
}

/** A file name that says what it is: "orders-winter-sneaker-k3x9qa.csv". */
export const exportFileName = (drop: Drop) => `orders-${drop.slug}.csv`;
