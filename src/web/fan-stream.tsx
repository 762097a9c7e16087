import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { StockState, stockAnnouncement } from "../../views/fan/stock";
import type { ShopFront } from "../domain/storefront";
import type { Drop } from "../domain/types";
import { isFinalUpdate, type StockSubscription, type StockUpdate, type StockWatcher } from "./stock-watcher";

export interface StockStreamOptions {
  /** A comment line this often keeps proxies and phones from dropping an idle stream. */
  heartbeatMs?: number;
  /** Tells EventSource how long to wait before reconnecting after a lost connection. */
  reconnectMs?: number;
  /** The drop's shop, named in the sold-out state's "more drops" link. */
  shop?: ShopFront;
}

/** The next update, or "heartbeat" when none came within `ms`. */
async function nextOrHeartbeat(
  subscription: StockSubscription,
  ms: number,
): Promise<StockUpdate | "heartbeat" | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const beat = new Promise<"heartbeat">((resolve) => {
    timer = setTimeout(() => resolve("heartbeat"), ms);
  });
  try {
    return await Promise.race([subscription.next(), beat]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The drop's live counter as Server-Sent Events: "stock" with the counter fragment on every change,
 * "announce" with a sentence for screen readers when a threshold is crossed, and a final "soldout" after
 * which the stream ends. Every stream of a drop shares the watcher's one reading loop.
 */
export function stockStream(c: Context, drop: Drop, watcher: StockWatcher, options: StockStreamOptions = {}) {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const reconnectMs = options.reconnectMs ?? 3000;
  c.header("X-Accel-Buffering", "no");
  return streamSSE(c, async (stream) => {
    const subscription = watcher.subscribe(drop);
    stream.onAbort(() => subscription.close());
    try {
      await stream.write(`retry: ${reconnectMs}\n\n`);
      let shown: StockUpdate | undefined;
      while (!stream.aborted) {
        const update = await nextOrHeartbeat(subscription, heartbeatMs);
        if (update === undefined) {
          // Closed under us (the process is draining): say when to come back, to another process.
          if (!stream.aborted) await stream.write(`retry: ${reconnectMs}\n\n`);
          break;
        }
        if (update === "heartbeat") {
          await stream.write(": heartbeat\n\n");
          continue;
        }
        const counter = String(
          <StockState
            remaining={update.remaining}
            quantity={drop.quantity}
            status={update.status}
            shopHref={options.shop && `/s/${options.shop.slug}`}
            shopName={options.shop?.name}
          />,
        );
        const announcement = shown && stockAnnouncement(shown, update, drop.quantity);
        if (announcement) await stream.writeSSE({ event: "announce", data: announcement });
        // On a hold drop sold out is not final (holds expire, fans release): the counter keeps streaming.
        if (isFinalUpdate(drop, update)) {
          await stream.writeSSE({ event: "soldout", data: counter });
          break;
        }
        await stream.writeSSE({ event: "stock", data: counter });
        shown = update;
      }
    } finally {
      subscription.close();
    }
  });
}
