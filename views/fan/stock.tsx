import type { DropStatus } from "../../src/domain/types";

export interface StockCountProps {
  remaining: number;
  quantity: number;
  status: DropStatus;
}

/**
 * The live counter's content: rendered into #remaining by the page and sent as each SSE "stock" event,
 * so the page and the stream never disagree on wording. data-* attributes tell drop.js the status.
 */
export function StockCount({ remaining, quantity, status }: StockCountProps) {
  if (status === "sold_out" || remaining <= 0) {
    return (
      <span class="stock-count" data-remaining="0" data-status="sold_out">
        <b>Sold out</b> · all {quantity} taken
      </span>
    );
  }
  return (
    <span class="stock-count" data-remaining={remaining} data-status={status}>
      <b>{remaining}</b> of {quantity} left
    </span>
  );
}

export interface StockPanelProps extends StockCountProps {
  slug: string;
}

/**
 * The counter and its polite announcer. While stock can still change the panel connects to the drop's
 * stream (htmx SSE extension); the stream's final "soldout" event closes it.
 */
export function StockPanel(props: StockPanelProps) {
  const final = props.status === "sold_out";
  const stream = final
    ? {}
    : { "hx-ext": "sse", "sse-connect": `/d/${props.slug}/stream`, "sse-close": "soldout" };
  return (
    <div class="stock" {...stream}>
      <p id="remaining" {...(final ? {} : { "sse-swap": "stock,soldout" })}>
        <StockCount remaining={props.remaining} quantity={props.quantity} status={props.status} />
      </p>
      <p
        id="announcer"
        class="visually-hidden"
        aria-live="polite"
        {...(final ? {} : { "sse-swap": "announce" })}
      />
    </div>
  );
}

/** How far a drop has sold, in steps worth telling a screen-reader user about. */
function stockLevel(remaining: number, quantity: number): number {
  if (remaining <= 0) return 5;
  if (remaining <= 10) return 4;
  if (remaining <= quantity * 0.1) return 3;
  if (remaining <= quantity * 0.25) return 2;
  if (remaining <= quantity * 0.5) return 1;
  return 0;
}

/**
 * What to say aloud when the stock moves from `before` to `after`: only when a threshold is crossed or the
 * drop goes live, never on every unit sold.
 * @example stockAnnouncement({ remaining: 260, status: "live" }, { remaining: 240, status: "live" }, 500)
 * // "Half sold: 240 of 500 left."
 */
export function stockAnnouncement(
  before: { remaining: number; status: DropStatus },
  after: { remaining: number; status: DropStatus },
  quantity: number,
): string | undefined {
  if (after.status === "sold_out" && before.status !== "sold_out") return "Sold out.";
  if (before.status === "upcoming" && after.status === "live") return "The drop is live. You can buy now.";
  const level = stockLevel(after.remaining, quantity);
  if (level <= stockLevel(before.remaining, quantity)) return undefined;
  const left = `${after.remaining} of ${quantity} left.`;
  if (level === 1) return `Half sold: ${left}`;
  if (level === 2) return `Three quarters sold: ${left}`;
  if (level === 3) return `Under 10% left: ${left}`;
  return `Only ${after.remaining} left.`;
}
