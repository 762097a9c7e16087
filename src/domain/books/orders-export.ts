import type { Drop, Order } from "../types";

/** Orders read per query while exporting: memory stays bounded by one page, whatever the drop's size. */
export const EXPORT_PAGE_SIZE = 1000;

export const CSV_HEADER = ["unit", "order_id", "fan", "price", "currency", "created_at"] as const;

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

export function orderCsvLine(drop: Drop, order: Order): string {
  return csvLine([
    String(order.unitNo),
    order.id,
    order.fan,
    priceText(order.priceCents),
    drop.currency,
    order.createdAt.toISOString(),
  ]);
}

/**
 * The CSV of a drop's orders, unit by unit, as a stream pulled page by page: the next page (the orders of
 * the next `pageSize` unit numbers) is read only when the client has taken the previous one, so a
 * million-unit export holds one page in memory.
 * @example new Response(ordersCsvStream(drop, (after, n) => repo.listOrdersByUnit(db, drop.id, after, n)))
 */
export function ordersCsvStream(
  drop: Drop,
  readPage: (afterUnit: number, span: number) => Promise<Order[]>,
  pageSize = EXPORT_PAGE_SIZE,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let afterUnit = -1;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (afterUnit < 0) {
          afterUnit = 0;
          controller.enqueue(encoder.encode(csvLine(CSV_HEADER)));
          return;
        }
        // Windows with no orders (units not sold) are skipped without handing the client an empty chunk.
        while (afterUnit < drop.quantity) {
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
