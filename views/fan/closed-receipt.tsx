import { formatPrice } from "./price";
import { formatBoughtAt, OrderFacts, SizeFact, UnitLine } from "./receipt";

export interface ClosedReceiptProps {
  /** The order as the shop ended it: cancelled (an unpaid instant order) or refunded (a paid one). */
  order: {
    id: string;
    unitNo: number;
    fan: string;
    priceCents: number;
    status: "cancelled" | "refunded";
    createdAt: Date;
    paidAt: Date | null;
    closedAt: Date | null;
  };
  title: string;
  currency: string;
  quantity: number;
  shopName: string;
  /** The receipt's own address: still the fan's record of what happened. */
  url: string;
  /** The size (variant), on a drop of several; `quantity` is then that size's. */
  size?: string | undefined;
}

/**
 * The receipt of an order the shop ended (issue 18 §3): said once, with weight — what was bought, its
 * reference and size, and what happened (cancelled; or refunded, and how much). Nothing that no longer
 * applies is offered: no shipping address to give or correct, no copy-and-keep advice.
 */
export function ClosedReceipt(props: ClosedReceiptProps) {
  const { order } = props;
  const refunded = order.status === "refunded";
  const amount = formatPrice(order.priceCents, props.currency);
  return (
    <section
      id="purchase-result"
      class="receipt receipt-closed"
      role="status"
      tabindex={-1}
      data-outcome={order.status}
      aria-labelledby="receipt-title"
    >
      <p id="receipt-title" class="receipt-kicker">
        <span class="badge badge-cancelled">{refunded ? "Refunded" : "Cancelled"}</span>
      </p>
      <UnitLine unitNo={order.unitNo} quantity={props.quantity} />
      <p class="receipt-what">
        {props.title} · {props.shopName}
      </p>
      <dl class="receipt-facts">
        <SizeFact size={props.size} />
        <dt>{refunded ? "Refunded" : "Price"}</dt>
        <dd class="receipt-paid">
          <b>{amount}</b>
          {refunded ? " in full, to your card" : null}
        </dd>
        <OrderFacts id={order.id} fan={order.fan} label="Bought" at={order.paidAt ?? order.createdAt} />
        {order.closedAt ? (
          <>
            <dt>{refunded ? "Refunded on" : "Cancelled on"}</dt>
            <dd>
              <time datetime={order.closedAt.toISOString()}>{formatBoughtAt(order.closedAt)}</time>
            </dd>
          </>
        ) : null}
      </dl>
      <p class="receipt-next">
        <b>What happened:</b>{" "}
        {refunded
          ? `${props.shopName} refunded your payment of ${amount} in full, so this order is closed and nothing will be sent. A refund can take a few days to show on your statement.`
          : `${props.shopName} cancelled this order, so nothing will be sent and nothing is owed.`}{" "}
        The unit went back on sale.
      </p>
    </section>
  );
}
