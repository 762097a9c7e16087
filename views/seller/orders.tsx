import type { Drop } from "../../src/domain/types";
import type { ManagedOrder } from "../../src/repository/orders/manage";
import { shortOrderRef } from "../fan/price";
import { AddressText } from "../fan/shipping";
import { Layout } from "../layout";
import { CsrfField, Field, type FieldErrors, type FormValues } from "./fields";
import { formatMoney, formatNumber, formatUtcMinute } from "./format";
import type { SellerShell } from "./shell";

/** What a seller calls each state of an order. */
const STATUS_WORDS: Record<ManagedOrder["status"], string> = {
  placed: "Ordered",
  held: "Waiting for payment",
  expired: "Hold ran out",
  paid: "Paid",
  refunded: "Refunded",
  cancelled: "Cancelled",
};

const isLive = (o: ManagedOrder) => o.status === "placed" || o.status === "held" || o.status === "paid";

/** The drop asks for an address and this live order has none yet. */
export const addressMissing = (o: ManagedOrder) => o.collectShipping && o.shipping === null && isLive(o);

/** The order's state in a seller's words, with "Shipped" once fulfilled and "Address missing" when it is. */
export function OrderBadges({ order }: { order: ManagedOrder }) {
  return (
    <span class="order-badges">
      <span class={`badge order-status-${order.status}`}>{STATUS_WORDS[order.status]}</span>
      {order.fulfilledAt ? <span class="badge order-shipped">Shipped</span> : null}
      {addressMissing(order) ? <span class="badge warn address-missing">Address missing</span> : null}
    </span>
  );
}

/** The paid/instant orders page of one drop: who to ship to, and "mark all shipped". */
export function FulfilmentPage(
  props: SellerShell & {
    drop: Drop;
    orders: ManagedOrder[];
    more: boolean;
    notice?: string | undefined;
  },
) {
  const { drop, orders } = props;
  // A drop of several sizes lists every size's orders, unit numbers counting within each size.
  const sized = Boolean(drop.variantCount);
  const missing = orders.filter(addressMissing).length;
  const toShip = orders.filter((o) => !o.fulfilledAt && (o.status === "paid" || o.status === "placed"));
  return (
    <Layout title={`Orders: ${drop.title}`} sellerName={props.sellerName} csrfToken={props.csrfToken}>
      <p class="crumbs">
        <a href="/seller/drops">Drops</a> / <a href={`/seller/drops/${drop.slug}`}>{drop.title}</a> / Orders
      </p>
      <h1>Orders and shipping</h1>
      {props.notice ? (
        <p class="notice" role="status" id="orders-notice">
          {props.notice}
        </p>
      ) : null}
      <p class="muted">
        {formatNumber(orders.length)} orders
        {drop.collectShipping ? ` · ${formatNumber(missing)} still without an address` : ""} ·{" "}
        {formatNumber(toShip.length)} to ship
      </p>
      <div class="control-row">
        {toShip.length > 0 ? (
          <form
            method="post"
            action={`/seller/drops/${drop.slug}/fulfil-all`}
            class="inline"
            id="fulfil-all-form"
          >
            <CsrfField token={props.csrfToken} />
            <button type="submit" data-pending-label="Marking…">
              Mark all paid orders shipped
            </button>
          </form>
        ) : null}
        <a class="button secondary" href={`/seller/drops/${drop.slug}/orders.csv`} download>
          Download orders (CSV)
        </a>
      </div>
      {drop.collectShipping ? (
        <p class="hint">Orders still without an address are left out when you mark all shipped.</p>
      ) : null}
      <section class="table-wrap" tabindex={0} aria-labelledby="orders-heading">
        <h2 id="orders-heading" class="visually-hidden">
          Orders
        </h2>
        <table class="stack-on-phone" id="fulfilment-orders">
          <thead>
            <tr>
              <th scope="col">Unit</th>
              {sized ? <th scope="col">Size</th> : null}
              <th scope="col">Fan</th>
              <th scope="col">Status</th>
              <th scope="col">Ship to</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((order) => (
              <tr id={`order-${order.id}`}>
                <td data-label="Unit">
                  <a href={`/seller/orders/${order.id}`}>#{formatNumber(order.unitNo)}</a>
                </td>
                {sized ? <td data-label="Size">{order.variantName ?? ""}</td> : null}
                <td data-label="Fan">{order.fan}</td>
                <td data-label="Status">
                  <OrderBadges order={order} />
                </td>
                <td data-label="Ship to">
                  {order.shipping
                    ? `${order.shipping.name}, ${order.shipping.city}, ${order.shipping.country}`
                    : "—"}
                </td>
              </tr>
            ))}
            {orders.length === 0 ? (
              <tr>
                <td colspan={sized ? 5 : 4}>No orders yet.</td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </section>
      {props.more ? (
        <p class="hint">Showing the first orders only: download the CSV for all of them.</p>
      ) : null}
    </Layout>
  );
}

/** One order, its address and what the seller can do with it now. */
export function OrderPage(
  props: SellerShell & {
    order: ManagedOrder;
    drop: Drop;
    values?: FormValues;
    errors?: FieldErrors;
    notice?: string | undefined;
  },
) {
  const { order, drop } = props;
  const errors = props.errors ?? {};
  const canRefund = order.status === "paid" && !order.fulfilledAt;
  const canCancel = order.status === "placed" && !order.fulfilledAt;
  const canFulfil = !order.fulfilledAt && (order.status === "paid" || order.status === "placed");
  const base = `/seller/orders/${order.id}`;
  // "M #3": the unit's number counts within its size on a drop of several.
  const unitName = `${order.variantName ? `${order.variantName} ` : ""}#${formatNumber(order.unitNo)}`;
  return (
    <Layout
      title={`Order ${unitName}: ${drop.title}`}
      sellerName={props.sellerName}
      csrfToken={props.csrfToken}
      htmx
    >
      <p class="crumbs">
        <a href="/seller/drops">Drops</a> / <a href={`/seller/drops/${drop.slug}`}>{drop.title}</a> /{" "}
        <a href={`/seller/drops/${drop.slug}/fulfilment`}>Orders</a> / {unitName}
      </p>
      <h1>
        Order {unitName} <OrderBadges order={order} />
      </h1>
      {props.notice ? (
        <p class="notice" role="status" id="order-notice">
          {props.notice}
        </p>
      ) : null}
      <section class="card" aria-labelledby="order-facts">
        <h2 id="order-facts">What was bought</h2>
        <dl class="facts">
          {order.variantName ? (
            <>
              <dt>Size</dt>
              <dd>{order.variantName}</dd>
            </>
          ) : null}
          <dt>Fan</dt>
          <dd>{order.fan}</dd>
          <dt>Amount</dt>
          <dd>{formatMoney(order.priceCents, order.currency)}</dd>
          <dt>Ordered</dt>
          <dd>{formatUtcMinute(order.createdAt)}</dd>
          {order.paidAt ? (
            <>
              <dt>Paid</dt>
              <dd>{formatUtcMinute(order.paidAt)}</dd>
            </>
          ) : null}
          {order.fulfilledAt ? (
            <>
              <dt>Shipped</dt>
              <dd>
                {formatUtcMinute(order.fulfilledAt)}
                {order.trackingUrl ? (
                  <>
                    {" · "}
                    <a href={order.trackingUrl} rel="noopener noreferrer nofollow" target="_blank">
                      Tracking
                    </a>
                  </>
                ) : null}
              </dd>
            </>
          ) : null}
          {order.closedAt ? (
            <>
              <dt>{order.status === "refunded" ? "Refunded" : "Cancelled"}</dt>
              <dd>{formatUtcMinute(order.closedAt)}</dd>
            </>
          ) : null}
          <dt>Reference</dt>
          <dd>
            {/* The short reference is what the fan's receipt shows and what they will quote. */}
            <b id="order-ref">{shortOrderRef(order.id)}</b> · <code>{order.id}</code>
          </dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="ship-to">
        <h2 id="ship-to">Ship to</h2>
        {order.shipping ? (
          <AddressText address={order.shipping} />
        ) : (
          <p class="muted">
            {order.collectShipping
              ? "The fan has not given an address yet. Their receipt asks for it."
              : "This drop does not ask for an address."}
          </p>
        )}
      </section>
      {canFulfil ? (
        <section class="card" aria-labelledby="fulfil-heading">
          <h2 id="fulfil-heading">Mark as shipped</h2>
          <form method="post" action={`${base}/fulfil`} id="fulfil-form">
            <CsrfField token={props.csrfToken} />
            <Field
              name="trackingUrl"
              label="Tracking link (optional)"
              type="url"
              values={props.values ?? {}}
              errors={errors}
              hint="The carrier's https:// tracking page; the fan gets it by email."
              maxlength={500}
            />
            <button type="submit" data-pending-label="Marking…">
              Mark as shipped
            </button>
          </form>
        </section>
      ) : null}
      {canRefund || canCancel ? (
        <details class="danger-zone" id="order-danger">
          <summary>{canRefund ? "Refund this order…" : "Cancel this order…"}</summary>
          <p>
            {canRefund
              ? `The fan gets ${formatMoney(order.priceCents, order.currency)} back in full and an email; the unit goes back on sale.`
              : "The fan gets an email; the unit goes back on sale."}
          </p>
          <form
            method="post"
            action={`${base}/${canRefund ? "refund" : "cancel"}`}
            id={canRefund ? "refund-form" : "cancel-form"}
            hx-boost="true"
            hx-confirm={
              canRefund
                ? `Refund ${formatMoney(order.priceCents, order.currency)} to ${order.fan}? This cannot be undone.`
                : `Cancel the order of ${order.fan}? This cannot be undone.`
            }
          >
            <CsrfField token={props.csrfToken} />
            <button
              type="submit"
              class="danger"
              data-pending-label={canRefund ? "Refunding…" : "Cancelling…"}
            >
              {canRefund ? "Yes, refund in full" : "Yes, cancel the order"}
            </button>
          </form>
        </details>
      ) : null}
    </Layout>
  );
}
