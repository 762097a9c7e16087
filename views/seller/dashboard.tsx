import type { DropLive, SalesStory } from "../../src/domain/books/dashboard";
import type { FairnessSummary } from "../../src/domain/fairness/summary";
import type { Order } from "../../src/domain/types";
import { Layout } from "../layout";
import { DropControls } from "./drop-controls";
import { DropImagesSlot } from "./drop-images-card";
import { FairnessCard } from "./fairness-card";
import {
  formatDuration,
  formatMoney,
  formatNumber,
  formatOrderTime,
  formatRate,
  formatUtcMinute,
  formatUtcTime,
  STATUS_LABEL,
  sellThrough,
} from "./format";
import { QueueCard, type QueueCardProps } from "./queue-card";
import { SalesChartView } from "./sales-chart";
import type { SellerShell } from "./shell";
import { type StressCardProps, StressTestCard } from "./stress-card";
import { UnitClaimsSlot } from "./unit-claims";

const base = (live: DropLive) => `/seller/drops/${live.drop.slug}`;

/** "15-minute"; a hold of seconds (made through the shop, not the forms) as "3-second". */
function holdLength(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60}-minute` : `${seconds}-second`;
}

/** "4.2 s" under a minute, "3m 05s" above: how long a drop took to sell out. */
function soldOutIn(ms: number): string {
  return ms < 60_000 ? `${formatRate(ms / 1000)} s` : formatDuration(ms);
}

/** The line under the badge: when the numbers were read, or that they are final. */
function AsOf({ live }: { live: DropLive }) {
  const at = <time datetime={live.serverTime.toISOString()}>{formatUtcTime(live.serverTime)}</time>;
  if (live.status === "sold_out") return <span class="muted">Final numbers</span>;
  if (live.status === "cancelled") return <span class="muted">Cancelled; nothing sold</span>;
  return (
    <span class="muted">
      {live.status === "paused" ? "Sales paused · " : ""}Updated every second · last read {at}
    </span>
  );
}

/** Once sold out, the numbers freeze into the drop's story: how fast, how hot, how much. */
function SoldOutSummary({ live, story }: { live: DropLive; story: SalesStory }) {
  if (story.soldOutAfterMs === undefined) return null;
  return (
    <p class="sold-out-summary" id="sold-out-summary">
      Sold out in <b>{soldOutIn(story.soldOutAfterMs)}</b>, peak{" "}
      <b>
        {formatNumber(story.chart.peakPerSecond)} {story.chart.peakPerSecond === 1 ? "order" : "orders"} a
        second
      </b>
      , {formatMoney(live.revenueCents, live.drop.currency)} in revenue.
    </p>
  );
}

/** Sales at a glance. Re-renders itself every second while units can still sell, then stops polling. */
export function LiveStats({ live, story }: { live: DropLive; story: SalesStory }) {
  const { drop, status, serverTime } = live;
  const untilLive = drop.startsAt.getTime() - serverTime.getTime();
  const polling = status !== "sold_out" && status !== "cancelled";
  return (
    <section
      id="live-stats"
      aria-label="Sales"
      // The status this page shows travels with each poll: the answer then carries the drop's controls
      // too when the database's status is another (paused, resumed or cancelled in another tab or process).
      hx-get={`${base(live)}/stats?shown=${status}`}
      hx-trigger={polling ? "every 1s" : undefined}
      hx-swap="outerHTML"
      data-server-time={serverTime.toISOString()}
    >
      <p class="status-line">
        <span id="drop-status" class={`badge ${status}`}>
          {STATUS_LABEL[status]}
        </span>{" "}
        <AsOf live={live} />
      </p>
      <SoldOutSummary live={live} story={story} />
      <div class="grid stats">
        <div class="stat">
          <b id="revenue">{formatMoney(live.revenueCents, drop.currency)}</b>
          <span>Revenue</span>
        </div>
        <div class="stat">
          <b id="units-sold">
            {formatNumber(live.sold)} of {formatNumber(drop.quantity)}
          </b>
          <span>Units sold</span>
        </div>
        {drop.holdSeconds > 0 ? (
          <div class="stat">
            <b id="units-held">{formatNumber(live.held)}</b>
            <span>Held, awaiting payment</span>
          </div>
        ) : null}
        <div class="stat">
          <b id="sell-through">{sellThrough(live.sold, drop.quantity)}</b>
          <span>Sell-through</span>
        </div>
        {status === "sold_out" ? (
          <div class="stat">
            <b id="peak-rate">{formatNumber(story.chart.peakPerSecond)}</b>
            <span>Peak orders in one second</span>
          </div>
        ) : (
          <div class="stat">
            <b id="orders-per-second">{formatRate(live.ordersPerSecond)}</b>
            <span>Orders per second (last 10 s)</span>
          </div>
        )}
        <div class="stat">
          <b id="go-live-clock">
            {status === "sold_out" && story.soldOutAfterMs !== undefined
              ? soldOutIn(story.soldOutAfterMs)
              : formatDuration(Math.abs(untilLive))}
          </b>
          <span>
            {status === "sold_out" ? "To sell out" : untilLive > 0 ? "Until go-live" : "Since go-live"}
          </span>
        </div>
      </div>
      <progress id="sold-progress" max={drop.quantity} value={live.sold} aria-label="Units sold">
        {sellThrough(live.sold, drop.quantity)}
      </progress>
      {untilLive > 0 || status === "cancelled" ? null : <SalesChartView chart={story.chart} />}
    </section>
  );
}

/** "M #3" on a drop of several sizes (units are numbered within each), "#3" otherwise. */
const unitLabel = (order: Order, live?: DropLive) => {
  const size = live?.variants?.find((v) => v.position === (order.variant ?? 0))?.name;
  return size === undefined ? `#${formatNumber(order.unitNo)}` : `${size} #${formatNumber(order.unitNo)}`;
};

export function OrderRow({ order, live }: { order: Order; live?: DropLive }) {
  return (
    <tr id={`order-${order.id}`} class="order-row">
      <td class="unit" data-label="Unit">
        {unitLabel(order, live)}
      </td>
      <td data-label="Order">
        <a href={`/seller/orders/${order.id}`}>
          <code>{order.id}</code>
        </a>
      </td>
      <td data-label="Fan" class="fan">
        {order.fan}
      </td>
      <td data-label="Time (UTC)">
        <time datetime={order.createdAt.toISOString()}>{formatOrderTime(order.createdAt)}</time>
      </td>
      <td class="attempts" data-label="Attempts">
        {formatNumber(order.attempts)}
      </td>
    </tr>
  );
}

/**
 * A hidden row at the top of the audit trail that asks every second for orders newer than `since` and
 * replaces itself with them (newest first) and a new poller. `seen` is how many orders the view holds, so
 * the server can tell when some committed behind the cursor. Left out once nothing more can arrive.
 */
export function NewOrdersPoller(props: { live: DropLive; since: string | undefined; seen: number }) {
  const query = props.since ? `?since=${props.since}&seen=${props.seen}` : `?seen=${props.seen}`;
  return (
    <tr
      id="audit-poller"
      hidden
      hx-get={`${base(props.live)}/orders/new${query}`}
      hx-trigger="every 1s"
      hx-swap="outerHTML"
    >
      <td colspan={5} />
    </tr>
  );
}

/** Orders that committed a moment after newer ones already shown: they belong further down the trail. */
export function LateOrdersNotice(props: { live: DropLive; late: number }) {
  const one = props.late === 1;
  return (
    <tr class="audit-late">
      <td colspan={5}>
        {one ? "1 order" : `${props.late} orders`} committed a moment late and {one ? "belongs" : "belong"}{" "}
        further down. <a href={`${base(props.live)}#audit-trail`}>Reload the trail</a> to see{" "}
        {one ? "it" : "them"} in place.
      </td>
    </tr>
  );
}

/** The link to the next (older) page: a plain link without JavaScript, an in-place append with htmx. */
export function OlderOrdersRow(props: { live: DropLive; cursor: string }) {
  return (
    <tr id="audit-more">
      <td colspan={5}>
        <a
          href={`${base(props.live)}?cursor=${props.cursor}#audit-trail`}
          hx-get={`${base(props.live)}/orders?cursor=${props.cursor}`}
          hx-target="closest tr"
          hx-swap="outerHTML"
        >
          Older orders
        </a>
      </td>
    </tr>
  );
}

/** New orders for the poller's request: newest first under a fresh poller (or none once sold out). */
export function NewOrders(props: {
  live: DropLive;
  /** Oldest first, as fetched after `since`. */
  orders: Order[];
  since: string | undefined;
  seen: number;
  late: number;
  keepPolling: boolean;
}) {
  const since = props.orders.at(-1)?.id ?? props.since;
  return (
    <>
      {props.keepPolling ? <NewOrdersPoller live={props.live} since={since} seen={props.seen} /> : null}
      {props.orders
        .slice()
        .reverse()
        .map((order) => (
          <OrderRow order={order} live={props.live} />
        ))}
      {props.late > 0 ? <LateOrdersNotice live={props.live} late={props.late} /> : null}
    </>
  );
}

/** One page of older orders for the "Older orders" link, followed by the link to the next page. */
export function OlderOrders(props: { live: DropLive; orders: Order[]; nextCursor: string | undefined }) {
  return (
    <>
      {props.orders.map((order) => (
        <OrderRow order={order} live={props.live} />
      ))}
      {props.nextCursor ? <OlderOrdersRow live={props.live} cursor={props.nextCursor} /> : null}
    </>
  );
}

/** Each size's units, how many are taken (sold, or held for payment) and how many are left. */
export function SizeBreakdown({ variants }: { variants: NonNullable<DropLive["variants"]> }) {
  return (
    <section class="card sizes" aria-labelledby="sizes-heading">
      <h2 id="sizes-heading">By size</h2>
      <table id="size-breakdown" class="stack-on-phone">
        <thead>
          <tr>
            <th scope="col">Size</th>
            <th scope="col">Units</th>
            <th scope="col">Taken</th>
            <th scope="col">Left</th>
          </tr>
        </thead>
        <tbody>
          {variants.map((v) => (
            <tr class={v.remaining <= 0 ? "size-row sold-out" : "size-row"}>
              <th scope="row" data-label="Size">
                {v.name}
              </th>
              <td data-label="Units">{formatNumber(v.quantity)}</td>
              <td data-label="Taken">{formatNumber(v.quantity - v.remaining)}</td>
              <td data-label="Left">{v.remaining <= 0 ? "Sold out" : formatNumber(v.remaining)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export interface DashboardProps extends SellerShell {
  live: DropLive;
  story: SalesStory;
  /** One page of the audit trail, newest first. */
  orders: Order[];
  nextCursor: string | undefined;
  /** Set when this page shows older orders rather than the newest. */
  cursor: string | undefined;
  /** How many orders the drop had when the newest page was read (the live view's starting count). */
  seen: number;
  /** The fan page's full address, for sharing. */
  publicUrl: string;
  /** The Stress Test card's form and receipts; absent on a rehearsal's own dashboard. */
  stress?: Omit<StressCardProps, "drop" | "csrfToken"> | undefined;
  /** The drop's draw, or its waitlist once anyone joined (docs/draws.md). */
  queue?: QueueCardProps | undefined;
  /** Verified buyers and notify-me signups (issue 17 §5). */
  fairness?: FairnessSummary | undefined;
}

/**
 * One drop's console, sales first: what it has sold (stats, chart, the audit trail of every unit), then
 * what the seller can do to it, then the Stress Test.
 */
export function DashboardPage(props: DashboardProps) {
  const { live } = props;
  const { drop } = live;
  const watching = !props.cursor && live.status !== "sold_out" && live.status !== "cancelled";
  return (
    <Layout
      title={drop.title}
      sellerName={props.sellerName}
      csrfToken={props.csrfToken}
      htmx
      scripts={["dashboard.js"]}
    >
      <p class="crumbs">
        <a href="/seller/drops">Drops</a> / {drop.title}
      </p>
      <h1 id="drop-title">{drop.title}</h1>
      <p class="muted drop-terms">
        {formatMoney(drop.priceCents, drop.currency)} · {formatNumber(drop.quantity)} units · at most{" "}
        {formatNumber(drop.maxPerFan)} per fan · go-live{" "}
        <time datetime={drop.startsAt.toISOString()} data-local-time>
          {formatUtcMinute(drop.startsAt)}
        </time>
        {drop.holdSeconds > 0 ? ` · checkout with a ${holdLength(drop.holdSeconds)} hold` : ""}
        {drop.verifiedFans ? " · verified fans only" : ""}
        {drop.isRehearsal ? " · rehearsal" : ""}
      </p>
      <LiveStats live={live} story={props.story} />
      {props.fairness ? <FairnessCard summary={props.fairness} /> : null}
      {live.variants ? <SizeBreakdown variants={live.variants} /> : null}
      <DropControls slug={drop.slug} status={live.status} csrfToken={props.csrfToken} />
      {props.queue ? <QueueCard {...props.queue} /> : null}
      <div class="share card">
        <label for="public-url">Fan page</label>
        <div class="share-row">
          <input id="public-url" type="text" readonly value={props.publicUrl} class="mono" />
          <button type="button" id="copy-link" class="secondary" data-copy-from="public-url" hidden>
            Copy link
          </button>
          <a id="public-link" href={`/d/${drop.slug}`}>
            Open
          </a>
        </div>
        <p class="hint" id="copy-status" role="status" />
      </div>
      <h2 id="audit-heading">Audit trail</h2>
      <p class="hint">Every unit sold, newest first. Times are UTC.</p>
      {props.cursor ? (
        <p>
          <a href={`${base(live)}#audit-trail`}>Back to the newest orders</a>
        </p>
      ) : null}
      {/* Scrolls sideways on a narrow desktop window: focusable and named, so a keyboard can scroll it. */}
      <section class="table-wrap audit-wrap" tabindex={0} aria-labelledby="audit-heading">
        <table id="audit-trail" aria-labelledby="audit-heading" class="stack-on-phone">
          <thead>
            <tr>
              <th scope="col">Unit</th>
              <th scope="col">Order</th>
              <th scope="col">Fan</th>
              <th scope="col">Time (UTC)</th>
              <th scope="col">Attempts</th>
            </tr>
          </thead>
          <tbody id="audit-rows">
            {watching ? <NewOrdersPoller live={live} since={props.orders[0]?.id} seen={props.seen} /> : null}
            <OlderOrders live={live} orders={props.orders} nextCursor={props.nextCursor} />
            <tr id="audit-empty" class="audit-empty">
              <td colspan={5}>{props.cursor ? "No older orders." : "No orders yet."}</td>
            </tr>
          </tbody>
        </table>
      </section>
      {drop.holdSeconds > 0 ? <UnitClaimsSlot slug={drop.slug} /> : null}
      <DropImagesSlot slug={drop.slug} />
      {props.stress ? (
        <StressTestCard
          {...props.stress}
          drop={drop}
          csrfToken={props.csrfToken}
          draw={props.queue?.draw !== undefined}
        />
      ) : null}
    </Layout>
  );
}
