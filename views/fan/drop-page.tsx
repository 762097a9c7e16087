import type { DropImage } from "../../src/domain/catalog/images";
import type { ShopFront } from "../../src/domain/catalog/storefront";
import type { Drop } from "../../src/domain/types";
import { Layout } from "../layout";
import { Countdown, formatStartsAt } from "./countdown";
import type { FanStatus } from "./fan-status";
import { shopHref } from "./links";
import { formatPrice } from "./price";
import { Gallery } from "./product-image";
import { Purchase, type PurchaseState, sizeChoice } from "./purchase";
import { isOpenOutcome, QueueBox, type QueueBoxProps } from "./queue-box";
import { StockPanel } from "./stock";
import { NotifyMe, type NotifyMeState, VerifyStep } from "./verify";

export interface DropPageProps {
  drop: Drop;
  remaining: number;
  status: FanStatus;
  /** The database clock when the page was made: go-live is judged by it, not by the fan's phone. */
  serverTime: Date;
  purchase: PurchaseState;
  images: DropImage[];
  shop: ShopFront;
  /** The site's own origin (https://drops.example.com), for the absolute URLs link previews need. */
  origin: string;
  /** A draw drop's entry box (in place of the buy box), or a sold-out drop's waitlist (docs/draws.md). */
  queue?: QueueBoxProps | undefined;
  /** The waitlist this drop offers once it sells out, for a page open at that moment (no fan state). */
  waitlist?: Extract<QueueBoxProps, { kind: "waitlist" }> | undefined;
  /** A verified-fans drop, and the address this browser proved: buying is one click. */
  verifiedAs?: string | undefined;
  /** "Email me at go-live" (upcoming drops only), or what became of the fan's signup. */
  notify?: NotifyMeState | undefined;
  /** Each variant's stock: a drop of several shows a size picker. */
  variants?: readonly {
    id: string;
    position?: number;
    name: string;
    remaining: number;
    priceCents: number | null;
  }[];
  /** The size the fan had picked (kept when the form comes back). */
  chosenSize?: string | undefined;
}

/** Open Graph and Twitter card tags: a shared link previews with the title, price and picture. */
function ShareTags({ drop, images, shop, origin }: DropPageProps) {
  const price = formatPrice(drop.priceCents, drop.currency);
  // The product's picture first; a drop without one shares the shop's banner or logo.
  const image = images[0] ?? shop.brand.banner ?? shop.brand.logo;
  const summary = `${price} · ${drop.quantity.toLocaleString("en-US")} units · ${shop.name}`;
  return (
    <>
      <meta name="description" content={summary} />
      <meta property="og:type" content="product" />
      <meta property="og:site_name" content={shop.name} />
      <meta property="og:title" content={`${drop.title} — ${price}`} />
      <meta property="og:description" content={summary} />
      <meta property="og:url" content={`${origin}/d/${drop.slug}`} />
      <meta property="product:price:amount" content={(drop.priceCents / 100).toFixed(2)} />
      <meta property="product:price:currency" content={drop.currency} />
      {image ? <meta property="og:image" content={`${origin}${image.url}`} /> : null}
      {image ? <meta property="og:image:width" content={String(image.width)} /> : null}
      {image ? <meta property="og:image:height" content={String(image.height)} /> : null}
      <meta name="twitter:card" content={image ? "summary_large_image" : "summary"} />
      <meta name="twitter:title" content={`${drop.title} — ${price}`} />
      <meta name="twitter:description" content={summary} />
      {image ? <meta name="twitter:image" content={`${origin}${image.url}`} /> : null}
    </>
  );
}

/**
 * The fan's drop page: the product first (picture or initials), then shop, title, price, the drop's state
 * with its meter, the countdown or the buy box, and the terms. Two columns from 960 px, stacked below.
 */
export function DropPage(props: DropPageProps) {
  const { drop, remaining, serverTime, purchase, shop } = props;
  // An answer that says sold out outranks a stock reading taken a moment before it.
  const status: FanStatus = purchase.kind === "sold_out" ? "sold_out" : props.status;
  // Nothing to buy while sold out, cancelled or paused: the state says why, and no form pretends otherwise.
  // A busy answer outranks that: it is the fan's one way back to an order their key may have won (it
  // retries with the same key), even on a drop the stock reading shows as sold out. So does the answer to
  // a Buy pressed after a pause or a cancel: the fan asked, and is told where the button was.
  const answered = purchase.kind === "busy" || purchase.kind === "paused" || purchase.kind === "cancelled";
  const over = (status === "sold_out" || status === "cancelled" || status === "paused") && !answered;
  // No clock counting down to a go-live that is on hold or will never come.
  const halted = purchase.kind === "paused" || purchase.kind === "cancelled";
  return (
    <Layout
      title={drop.title}
      htmx
      scripts={drop.holdSeconds > 0 ? ["drop.js", "hold.js"] : ["drop.js"]}
      styles={["fan.css"]}
      homeHref={shopHref(shop)}
      shop={shop}
      head={<ShareTags {...props} />}
    >
      <article class="drop" data-status={status}>
        <Gallery
          title={drop.title}
          shopName={shop.name}
          images={props.images}
          accented={shop.brand.accent !== undefined}
        />
        <div class="drop-info">
          <p class="drop-shop">
            <a href={shopHref(shop)}>{shop.name}</a>
          </p>
          <h1>{drop.title}</h1>
          <p class="price">{formatPrice(drop.priceCents, drop.currency)}</p>
          <StockPanel
            slug={drop.slug}
            // A sold-out instant drop keeps its stream for a fan the page knows to be waiting (their live box).
            reopens={drop.holdSeconds > 0 || isOpenOutcome(props.queue?.fan)}
            holds={drop.holdSeconds > 0}
            remaining={purchase.kind === "sold_out" ? 0 : remaining}
            quantity={drop.quantity}
            status={status}
            shopHref={shopHref(shop)}
            shopName={shop.name}
          />
          {props.queue?.kind === "draw" ? (
            <div class="buy-box">
              {halted ? null : <Countdown startsAt={drop.startsAt} serverTime={serverTime} />}
              <QueueBox {...props.queue} />
              {/* Not verified yet: the email step, so "confirm your email on this page" has its form here. */}
              {purchase.kind === "verify" ? <VerifyStep slug={drop.slug} {...purchase} /> : null}
            </div>
          ) : null}
          {/* The waitlist: on a page open at the sell-out, drop.js puts the template's form here (no request). */}
          <div id="queue-slot">
            {props.queue?.kind === "waitlist" && status === "sold_out" ? <QueueBox {...props.queue} /> : null}
          </div>
          {props.waitlist && status !== "sold_out" ? (
            <template id="waitlist-template">
              <QueueBox {...props.waitlist} />
            </template>
          ) : null}
          {over || props.queue?.kind === "draw" ? null : (
            <div class="buy-box">
              {halted ? null : <Countdown startsAt={drop.startsAt} serverTime={serverTime} />}
              <Purchase
                slug={drop.slug}
                state={purchase}
                verifiedAs={props.verifiedAs}
                sizes={sizeChoice(drop, props.variants ?? [], props.chosenSize)}
              />
            </div>
          )}
          {props.notify && status === "upcoming" ? <NotifyMe slug={drop.slug} state={props.notify} /> : null}
          {purchase.kind === "sold_out" ? <Purchase slug={drop.slug} state={purchase} /> : null}
          <p class="terms">
            {drop.quantity === 1 ? "1 unit" : `${drop.quantity.toLocaleString("en-US")} units`} · at most{" "}
            {drop.maxPerFan} per fan{drop.verifiedFans ? " · verified fans only" : ""} · starts{" "}
            <time id="starts-at" datetime={drop.startsAt.toISOString()}>
              {formatStartsAt(drop.startsAt)}
            </time>
          </p>
          {drop.description ? <p class="description">{drop.description}</p> : null}
        </div>
      </article>
    </Layout>
  );
}

/** An unknown slug: a page a fan can act on rather than a JSON error. */
export function DropNotFoundPage() {
  return (
    <Layout title="Drop not found" styles={["fan.css"]}>
      <div class="fan-message">
        <h1>Drop not found</h1>
        <p>
          There is no drop at this address. Check the link you were given: drop links look like
          /d/name-k3x9qa.
        </p>
      </div>
    </Layout>
  );
}
