import type { Order } from "../../src/domain/types";
import { formatPrice, shortOrderRef } from "./price";
import { type ShippingProps, ShippingSection } from "./shipping";

export interface ReceiptProps {
  /** A paid order of a hold drop carries when it was paid: the receipt says what was paid and when. */
  order: Order & { paidAt?: Date | null };
  title: string;
  currency: string;
  quantity: number;
  shopName: string;
  /** The receipt's own address (/d/<slug>/orders/<id>?k=…): reloadable, bookmarkable, unguessable. */
  url: string;
  /** This form had already bought: the same order again, not a second unit. */
  replay: boolean;
  /** On a drop that ships: where it goes, and the form to give or correct it (receipt pages only). */
  shipping?: ShippingProps | undefined;
  /** The size (variant) bought, on a drop of several; `quantity` is then that size's. */
  size?: string | undefined;
}

/** "Sun, 29 Nov 2026, 23:41:07 UTC": one style, seconds included (drops sell out in seconds). */
export function formatBoughtAt(at: Date): string {
  return `${at.toLocaleString("en-GB", {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZone: "UTC",
  })} UTC`;
}

/** "Unit #3 of 40": the unit a fan has (numbered within its size on a drop of several). */
export function UnitLine({ unitNo, quantity }: { unitNo: number; quantity: number }) {
  return (
    <p class="receipt-unit">
      <span class="receipt-unit-label">Unit</span> <b>#{unitNo}</b>{" "}
      <span class="receipt-unit-of">of {quantity.toLocaleString("en-US")}</span>
    </p>
  );
}

/** The size, as a receipt fact, on a drop of several sizes; nothing on a one-size drop. */
export function SizeFact({ size }: { size?: string | undefined }) {
  return size ? (
    <>
      <dt>Size</dt>
      <dd class="receipt-size">
        <b>{size}</b>
      </dd>
    </>
  ) : null;
}

/** The order's short reference, who it is for, and a dated fact (bought, paid): every receipt's last lines. */
export function OrderFacts({ id, fan, label, at }: { id: string; fan: string; label: string; at: Date }) {
  return (
    <>
      <dt>Order</dt>
      <dd>
        <code id="order-id" class="order-id" title={id}>
          {shortOrderRef(id)}
        </code>
      </dd>
      <dt>For</dt>
      <dd>{fan}</dd>
      <dt>{label}</dt>
      <dd>
        <time datetime={at.toISOString()}>{formatBoughtAt(at)}</time>
      </dd>
    </>
  );
}

/**
 * The bought state: the same component answers the htmx buy (replacing the form) and is the receipt page
 * a fan reloads or bookmarks. Made to be screenshotted: the unit number large, a short order reference,
 * what was paid, and what happens next. Everything in it is aligned to one left edge.
 */
export function Receipt(props: ReceiptProps) {
  const { order } = props;
  return (
    <section
      id="purchase-result"
      class="receipt"
      role="status"
      tabindex={-1}
      data-outcome="bought"
      aria-labelledby="receipt-title"
    >
      <p id="receipt-title" class="receipt-kicker">
        {props.replay ? "Already yours" : "You got it"}
      </p>
      <UnitLine unitNo={order.unitNo} quantity={props.quantity} />
      <p class="receipt-what">
        {props.title} · {props.shopName}
      </p>
      <dl class="receipt-facts">
        <SizeFact size={props.size} />
        <dt>{order.paidAt ? "Paid" : "Price"}</dt>
        <dd class="receipt-paid">
          <b>{formatPrice(order.priceCents, props.currency)}</b>
          {order.paidAt ? " by card" : null}
        </dd>
        <OrderFacts id={order.id} fan={order.fan} label="When" at={order.paidAt ?? order.createdAt} />
      </dl>
      {props.replay ? (
        <p class="receipt-note">This form had already bought it: still one unit, this one.</p>
      ) : null}
      <p class="receipt-next">
        <b>What happens next:</b> {props.shopName} has your order under <b>{order.fan}</b> and will get in
        touch to deliver it. Keep the order reference; <a href={props.url}>this receipt's link</a> works
        whenever you come back to it.
      </p>
      {props.shipping ? <ShippingSection {...props.shipping} /> : null}
    </section>
  );
}
