import type { Child } from "hono/jsx";
import type { ShopFront } from "../../src/domain/catalog/storefront";
import type { CheckoutOrder } from "../../src/repository/checkout/holds";
import { ClosedReceipt } from "./closed-receipt";
import { formatCountdown } from "./countdown";
import { formatPrice } from "./price";
import { Receipt, UnitLine } from "./receipt";
import { OrderPage } from "./receipt-page";
import { AddressFields, type ShippingProps } from "./shipping";

export interface HoldProps {
  order: CheckoutOrder;
  title: string;
  currency: string;
  quantity: number;
  shopName: string;
  /** The hold's own address (/d/<slug>/orders/<id>?k=…): reloading it shows the same countdown. */
  url: string;
  /** This form had already won: the same hold again, with the same expiry. */
  replay: boolean;
  /** Why the last pay attempt did not pay (declined card, a refund), said above the form. */
  message?: { tone: "bad" | "warn"; text: string } | undefined;
  /** A payment waiting for its second step (test card 4000002500003155). */
  pendingPaymentId?: string | undefined;
  /** On a drop that ships: the address, asked in the pay form, then shown (and correctable) on the receipt. */
  shipping?: ShippingProps | undefined;
  /** The size (variant) held, on a drop of several; `quantity` is then that size's. */
  size?: string | undefined;
  /** An instant drop's waitlist offer: claimed with one button (no payment), or passed to the next fan. */
  claim?: boolean | undefined;
}

const withAction = (url: string, action: "pay" | "release" | "claim") => url.replace(/\?/, `/${action}?`);

/**
 * A win on a hold drop: the unit is the fan's until `expiresAt` (the database's clock: the time left is
 * expiresAt minus the database time of the read, so reloading or buying again never resets it), with the
 * test provider's card field; then the receipt, or what became of the hold. The same component is the htmx
 * answer and the body of the hold's page; static/hold.js ticks the clock and reloads the box at zero.
 */
/** The card a hold or an offer lives in: it replaces itself with whatever its buttons answer. */
function HoldCard({ outcome, children }: { outcome: "held" | "offered"; children: Child }) {
  return (
    <section
      id="purchase-result"
      class="receipt hold"
      role="status"
      tabindex={-1}
      data-outcome={outcome}
      hx-target="this"
      hx-swap="outerHTML"
    >
      {children}
    </section>
  );
}

export function Hold(props: HoldProps) {
  const { order } = props;
  if (order.status === "paid" || order.status === "placed") return <Receipt {...props} />;
  // Refunded by the shop after it was paid (a late payment's refund has no payment time).
  if (order.status === "refunded" && order.paidAt)
    return (
      <ClosedReceipt
        {...props}
        order={{ ...order, status: "refunded", paidAt: order.paidAt, closedAt: order.expiresAt }}
      />
    );
  if (order.status !== "held") return <HoldEnded {...props} />;
  if (props.claim) return <Offer {...props} />;
  const msLeft = order.expiresAt.getTime() - order.readAt.getTime();
  const pay = withAction(props.url, "pay");
  return (
    <HoldCard outcome="held">
      <p class="receipt-kicker">{props.replay ? "Still held for you" : "Held for you"}</p>
      <UnitLine unitNo={order.unitNo} quantity={props.quantity} />
      <p class="receipt-what">
        {props.title}
        {props.size ? (
          <>
            {" "}
            · Size <b class="receipt-size">{props.size}</b>
          </>
        ) : null}{" "}
        · {formatPrice(order.priceCents, props.currency)} · {props.shopName}
      </p>
      <p
        id="hold-countdown"
        class="countdown"
        role="timer"
        data-expires-at={order.expiresAt.toISOString()}
        data-server-time={order.readAt.toISOString()}
        data-reload={props.url}
      >
        <span class="countdown-label">Pay within</span>{" "}
        <b class="countdown-clock">{formatCountdown(msLeft)}</b>
      </p>
      {props.message ? (
        <p class={`notice ${props.message.tone}`} data-outcome="pay_refused">
          {props.message.text}
        </p>
      ) : null}
      <form class="buy" method="post" action={pay} hx-post={pay} hx-disabled-elt="find button">
        {props.pendingPaymentId ? (
          <>
            <input type="hidden" name="paymentId" value={props.pendingPaymentId} />
            <p class="hint">Your bank asks you to approve this payment.</p>
            <button id="pay-button" type="submit" class="big">
              Approve payment
            </button>
          </>
        ) : (
          <>
            {props.shipping ? (
              <AddressFields
                address={props.shipping.address}
                values={props.shipping.values}
                errors={props.shipping.errors}
              />
            ) : null}
            <label for="card">Card number</label>
            <input
              id="card"
              name="card"
              type="text"
              inputmode="numeric"
              autocomplete="cc-number"
              required
              maxlength={23}
              placeholder="4242 4242 4242 4242"
            />
            <p class="hint">
              Test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined, 4000 0025 0000 3155 asks
              for approval.
            </p>
            <button id="pay-button" type="submit" class="big">
              Pay {formatPrice(order.priceCents, props.currency)}
            </button>
          </>
        )}
      </form>
      <form
        method="post"
        action={withAction(props.url, "release")}
        hx-post={withAction(props.url, "release")}
      >
        <button id="release-button" type="submit" class="link">
          Give it back
        </button>
      </form>
    </HoldCard>
  );
}

/** The countdown to a hold's end, on the database's clock; static/hold.js ticks it and reloads at zero. */
function HoldCountdown(props: HoldProps & { label: string }) {
  const { order } = props;
  return (
    <p
      id="hold-countdown"
      class="countdown"
      role="timer"
      data-expires-at={order.expiresAt.toISOString()}
      data-server-time={order.readAt.toISOString()}
      data-reload={props.url}
    >
      <span class="countdown-label">{props.label}</span>{" "}
      <b class="countdown-clock">{formatCountdown(order.expiresAt.getTime() - order.readAt.getTime())}</b>
    </p>
  );
}

/**
 * A waitlist offer on an instant drop (docs/draws.md): the unit is the fan's to claim until `expiresAt` with
 * one button (an instant drop takes no payment), or to pass on to the next fan in line.
 */
function Offer(props: HoldProps) {
  const { order } = props;
  const claim = withAction(props.url, "claim");
  const pass = withAction(props.url, "release");
  return (
    <HoldCard outcome="offered">
      <p class="receipt-kicker">A unit came back for you</p>
      <UnitLine unitNo={order.unitNo} quantity={props.quantity} />
      <p class="receipt-what">
        {props.title} · {formatPrice(order.priceCents, props.currency)} · {props.shopName}
      </p>
      <HoldCountdown {...props} label="Claim within" />
      <form class="buy" method="post" action={claim} hx-post={claim} hx-disabled-elt="find button">
        <button id="claim-button" type="submit" class="big">
          Claim it
        </button>
      </form>
      <form method="post" action={pass} hx-post={pass}>
        <button id="release-button" type="submit" class="link">
          Pass: give it to the next fan
        </button>
      </form>
    </HoldCard>
  );
}

const ENDED: Record<string, { title: string; text: string }> = {
  expired: { title: "Hold ran out", text: "The time to pay ran out, so the unit went back to stock." },
  released: { title: "Given back", text: "You gave this unit back; it is in stock again for other fans." },
  refunded: {
    title: "Payment refunded",
    text: "Your payment arrived after the hold ran out, so it was refunded in full. The unit went back to stock.",
  },
};

function HoldEnded(props: HoldProps) {
  const ended = ENDED[props.order.status] ?? ENDED.expired!;
  return (
    <div
      id="purchase-result"
      class="notice warn"
      role="status"
      tabindex={-1}
      data-outcome={`hold_${props.order.status}`}
    >
      <p class="result-title">{ended.title}</p>
      <p>
        {ended.text} (Unit #{props.order.unitNo} of {props.title}
        {props.size ? `, size ${props.size}` : ""}.)
      </p>
    </div>
  );
}

/** /d/<slug>/orders/<id>?k=… on a hold drop: the hold (countdown, pay form), then the receipt or its end. */
export function HoldPage(props: HoldProps & { slug: string; shop: ShopFront }) {
  return (
    <OrderPage
      title={`Unit #${props.order.unitNo} · ${props.title}`}
      heading="Your order"
      slug={props.slug}
      shop={props.shop}
      scripts={["hold.js"]}
      htmx
    >
      <Hold {...props} />
    </OrderPage>
  );
}
