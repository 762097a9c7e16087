import type { Drop, DropStatus } from "../../src/domain/types";
import { Layout } from "../layout";
import { Countdown, formatStartsAt } from "./countdown";
import { Purchase, type PurchaseState } from "./purchase";
import { StockPanel } from "./stock";

/** "$49.00": prices are stored in the currency's minor unit. */
export function formatPrice(priceCents: number, currency: string): string {
  return new Intl.NumberFormat("en-US", { style: "currency", currency }).format(priceCents / 100);
}

export interface DropPageProps {
  drop: Drop;
  remaining: number;
  status: DropStatus;
  /** The database clock when the page was made: go-live is judged by it, not by the fan's phone. */
  serverTime: Date;
  purchase: PurchaseState;
}

/** The fan's drop page: what it is, when it goes live, how many are left, and the buy box. */
export function DropPage({ drop, remaining, status, serverTime, purchase }: DropPageProps) {
  return (
    <Layout title={drop.title} htmx scripts={["drop.js"]}>
      <article class="drop" data-status={status}>
        <h1>{drop.title}</h1>
        <p class="price">{formatPrice(drop.priceCents, drop.currency)}</p>
        {drop.description ? <p class="description">{drop.description}</p> : null}
        <p class="muted">
          {drop.quantity} units · at most {drop.maxPerFan} per fan · starts{" "}
          <time id="starts-at" datetime={drop.startsAt.toISOString()}>
            {formatStartsAt(drop.startsAt)}
          </time>
        </p>
        {status === "sold_out" ? null : <Countdown startsAt={drop.startsAt} serverTime={serverTime} />}
        <StockPanel slug={drop.slug} remaining={remaining} quantity={drop.quantity} status={status} />
        <Purchase slug={drop.slug} state={purchase} />
      </article>
    </Layout>
  );
}

/** An unknown slug: a page a fan can act on rather than a JSON error. */
export function DropNotFoundPage() {
  return (
    <Layout title="Drop not found">
      <h1>Drop not found</h1>
      <p>
        There is no drop at this address. Check the link you were given, or go to the{" "}
        <a href="/">front page</a>.
      </p>
    </Layout>
  );
}
