import type { DropStatus } from "../../src/domain/types";
import { BADGE, type FanStatus, isLastFew, urgencyOf } from "./fan-status";

export interface StockStateProps {
  remaining: number;
  quantity: number;
  status: FanStatus;
  /** The shop's page: where a fan goes next when this drop is over. */
  shopHref?: string | undefined;
  shopName?: string | undefined;
  /**
   * A drop of several sizes: units left of each, by position. Carried as data for drop.js, which strikes
   * through a size that sold out while the page was open (and un-strikes one that came back).
   */
  sizesLeft?: readonly number[] | undefined;
  /**
   * The drop holds a unit while its fan pays (checkout, or a draw's winners): at "sold out" some units may be
   * held, not paid, and an unpaid hold comes back, so the page must not say every unit found its buyer.
   */
  holds?: boolean | undefined;
}

/**
 * "37 of 100 left" with weight, "100 units" before go-live (nothing has been left yet), or the final word;
 * widths are reserved so ticking never moves the page.
 */
function Count({ remaining, quantity, status }: StockStateProps) {
  if (status === "sold_out" || remaining <= 0) {
    return (
      <p class="stock-count">
        {quantity === 1
          ? "The only unit is taken."
          : `All ${quantity.toLocaleString("en-US")} units are taken.`}
      </p>
    );
  }
  // The widest the count can get, as a class (the CSP allows no style attribute): "1,000,000" is w-9.
  const width = Math.min(9, quantity.toLocaleString("en-US").length);
  if (status === "upcoming" && remaining >= quantity) {
    return (
      <p class="stock-count">
        <b class={`w-${width}`}>{quantity.toLocaleString("en-US")}</b>{" "}
        <span>{quantity === 1 ? "unit, one only" : "units in this drop"}</span>
      </p>
    );
  }
  return (
    <p class="stock-count">
      <b class={`w-${width}`}>{remaining.toLocaleString("en-US")}</b>{" "}
      <span>of {quantity.toLocaleString("en-US")} left</span>
    </p>
  );
}

/** What the fan is told about a sell-out or a cancellation: said once, with somewhere to go. */
function Over({ status, shopHref, shopName, holds }: StockStateProps) {
  const more = shopHref ? <a href={shopHref}>More drops from {shopName ?? "this shop"}</a> : null;
  if (status === "cancelled") return <p class="state-next">The shop called this drop off. {more}</p>;
  if (holds)
    return (
      <p class="state-next">
        Every unit is taken or held for a fan who is paying; a held unit that is not paid in time comes back
        here. {more}
      </p>
    );
  return <p class="state-next">Every unit found its buyer. {more}</p>;
}

/**
 * The drop's state: badge, units left, a meter and milestone copy. Rendered into #drop-state by the page
 * and sent as each SSE "stock"/"soldout" event, so an open page and a fresh load always say the same.
 * data-* attributes tell drop.js the status.
 */
export function StockState(props: StockStateProps) {
  const { remaining, quantity } = props;
  const status: FanStatus = props.status === "live" && remaining <= 0 ? "sold_out" : props.status;
  const left = Math.min(quantity, Math.max(0, remaining));
  const urgency = status === "live" ? urgencyOf(remaining, quantity) : undefined;
  const over = status === "sold_out" || status === "cancelled";
  return (
    <div
      class={`state state-${status}`}
      data-remaining={Math.max(0, remaining)}
      data-status={status}
      data-sizes-left={props.sizesLeft?.join(",")}
    >
      <p class="state-head">
        <span class={`badge badge-${status}`}>{BADGE[status]}</span>
        {urgency ? (
          <span class={`urgency urgency-${urgency}`}>
            {urgency === "last" ? `Last ${remaining}!` : "Over half gone"}
          </span>
        ) : null}
      </p>
      {status === "cancelled" ? null : <Count {...props} status={status} />}
      {status === "cancelled" ? null : (
        // What is left, under a label that says "left": the bar drains as units sell (full before go-live,
        // so going live moves nothing). A <progress> fills itself from max and value: no style attribute.
        <progress class="meter" max={quantity} value={left} aria-hidden="true" />
      )}
      {status === "paused" ? (
        <p class="state-next">The shop has paused sales for a moment. Keep this page open.</p>
      ) : null}
      {over ? <Over {...props} status={status} /> : null}
    </div>
  );
}

export interface StockPanelProps extends StockStateProps {
  slug: string;
  /** A hold drop: units come back when holds expire or are released, so sold out is not the last word. */
  reopens?: boolean;
}

/**
 * The state and its polite announcer. While stock can still change the panel connects to the drop's
 * stream (htmx SSE extension); the stream's final "soldout" event swaps in the sold-out state and closes it.
 */
export function StockPanel(props: StockPanelProps) {
  const final = (props.status === "sold_out" && !props.reopens) || props.status === "cancelled";
  const stream = final
    ? {}
    : { "hx-ext": "sse", "sse-connect": `/d/${props.slug}/stream`, "sse-close": "soldout" };
  return (
    <div class="stock" {...stream}>
      <div id="drop-state" {...(final ? {} : { "sse-swap": "stock,soldout" })}>
        <StockState {...props} />
      </div>
      <p
        id="announcer"
        class="visually-hidden"
        aria-live="polite"
        {...(final ? {} : { "sse-swap": "announce" })}
      />
      {final ? null : <span id="queue-tick" hidden sse-swap="queue" />}
    </div>
  );
}

/** How far a drop has sold, in steps worth telling a screen-reader user about. */
function stockLevel(remaining: number, quantity: number): number {
  if (remaining <= 0) return 5;
  if (isLastFew(remaining, quantity)) return 4;
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
