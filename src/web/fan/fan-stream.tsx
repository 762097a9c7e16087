import type { ServerResponse } from "node:http";
import type { Context } from "hono";
import { StockState, stockAnnouncement } from "../../../views/fan/stock";
import type { ShopFront } from "../../domain/catalog";
import type { Drop } from "../../domain/types";
import { detachedResponse, nodeResponseOf } from "../../process/detached-response";
import { isFinalUpdate, type StockSubscription, type StockUpdate, type StockWatcher } from "./stock-watcher";

export interface StockStreamOptions {
  /** A comment line this often keeps proxies and phones from dropping an idle stream. */
  heartbeatMs?: number;
  /** Tells EventSource how long to wait before reconnecting after a lost connection. */
  reconnectMs?: number;
  /** The drop's shop, named in the sold-out state's "more drops" link. */
  shop?: ShopFront;
}

const encoder = new TextEncoder();
const HEARTBEAT = ": heartbeat\n\n";
const SSE_HEADERS = {
  "Content-Type": "text/event-stream",
  "Cache-Control": "no-cache",
  "X-Accel-Buffering": "no",
};

/** One Server-Sent Event; a multi-line `data` becomes one `data:` line per line, as EventSource joins them. */
function sseEvent(event: string, data: string): string {
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}`);
  return `event: ${event}\n${lines.join("\n")}\n\n`;
}

/** What a stream sends next: its chunks, and whether the stream ends after them. */
interface Step {
  chunks: string[];
  last: boolean;
}

/**
 * The drop's live counter as Server-Sent Events: "stock" with the counter fragment on every change, "queue"
 * with the draw's or waitlist's tick when it moved,
 * "announce" with a sentence for screen readers when a threshold is crossed, and a final "soldout" after
 * which the stream ends. Every stream of a drop shares the watcher's one reading loop.
 *
 * A stream is held open for as long as a fan watches, ten thousand at once on one process, so it holds only
 * what it must (docs/capacity.md): the watcher's subscription, a heartbeat timer and the last state shown,
 * and no reference to the request's Context. On Node's server it is written straight to the socket's
 * ServerResponse (process/detached-response.ts); elsewhere through a pull-driven ReadableStream. Hono's
 * `streamSSE` cost ~36 KiB of heap a stream on Node (RELIABILITY.md, "node-floods").
 */
export function stockStream(c: Context, drop: Drop, watcher: StockWatcher, options: StockStreamOptions = {}) {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const retry = `retry: ${options.reconnectMs ?? 3000}\n\n`;
  const outgoing = nodeResponseOf(c.env);
  if (outgoing) {
    return detachedResponse(c, outgoing, SSE_HEADERS, (headers) => {
      outgoing.writeHead(200, headers);
      writeEvents(outgoing, watcher.subscribe(drop), drop, options, { retry, heartbeatMs });
    });
  }
  return c.body(
    readableEvents(watcher.subscribe(drop), drop, options, { retry, heartbeatMs }),
    200,
    SSE_HEADERS,
  );
}

/** The next step of a stream: waits for the next update the subscriber has not seen. */
function stepper(subscription: StockSubscription, drop: Drop, options: StockStreamOptions, retry: string) {
  const shopHref = options.shop && `/s/${options.shop.slug}`;
  const shopName = options.shop?.name;
  let shown: StockUpdate | undefined;
  return async (): Promise<Step> => {
    const update = await subscription.next();
    // Closed under us (the process is draining): say when to come back, to another process.
    if (update === undefined) return { chunks: [retry], last: true };
    const counter = String(
      <StockState
        remaining={update.remaining}
        quantity={drop.quantity}
        status={update.status}
        sizesLeft={update.sizes}
        holds={update.hold ?? drop.holdSeconds > 0}
        shopHref={shopHref}
        shopName={shopName}
      />,
    );
    const announcement = shown && stockAnnouncement(shown, update, drop.quantity);
    const chunks = announcement ? [sseEvent("announce", announcement)] : [];
    // On a hold drop sold out is not final (holds expire, fans release): the counter keeps streaming.
    if (isFinalUpdate(drop, update)) {
      chunks.push(sseEvent("soldout", counter));
      return { chunks, last: true };
    }
    chunks.push(sseEvent("stock", counter));
    // The draw's or waitlist's tick: a waiting fan's page re-fetches its queue box when it moves (drop.js).
    if (update.queue !== undefined && update.queue !== shown?.queue)
      chunks.push(sseEvent("queue", String(update.queue)));
    shown = update;
    return { chunks, last: false };
  };
}

/**
 * Writes the stream to Node's response: the next update is awaited only once the socket has taken the last
 * one (a slow reader gets the latest when it catches up, and nothing queues behind it).
 */
function writeEvents(
  outgoing: ServerResponse,
  subscription: StockSubscription,
  drop: Drop,
  options: StockStreamOptions,
  framing: { retry: string; heartbeatMs: number },
): void {
  const next = stepper(subscription, drop, options, framing.retry);
  let ended = false;
  const heartbeat = setInterval(() => {
    // Only onto an empty buffer: a client that stopped reading is not sent heartbeats to hold.
    if (!outgoing.writableNeedDrain) outgoing.write(HEARTBEAT);
  }, framing.heartbeatMs);
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    subscription.close();
  };
  outgoing.once("close", end);
  const pump = async () => {
    let writable = outgoing.write(framing.retry);
    while (!ended) {
      if (!writable) await new Promise((resolve) => outgoing.once("drain", resolve).once("close", resolve));
      if (ended) return;
      const step = await next();
      if (ended) return;
      for (const chunk of step.chunks) writable = outgoing.write(chunk);
      if (step.last) {
        end();
        outgoing.end();
      }
    }
  };
  pump().catch(() => {
    end();
    outgoing.destroy();
  });
}

/** The stream as a ReadableStream body, for servers other than Node's (Bun) and for `app.request`. */
function readableEvents(
  subscription: StockSubscription,
  drop: Drop,
  options: StockStreamOptions,
  framing: { retry: string; heartbeatMs: number },
): ReadableStream<Uint8Array> {
  const next = stepper(subscription, drop, options, framing.retry);
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let ended = false;
  const end = () => {
    ended = true;
    clearInterval(heartbeat);
    subscription.close();
  };
  // highWaterMark 0: `pull` runs only when the client has taken everything enqueued so far.
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(encoder.encode(framing.retry));
        heartbeat = setInterval(() => {
          if ((controller.desiredSize ?? 0) >= 0) controller.enqueue(encoder.encode(HEARTBEAT));
        }, framing.heartbeatMs);
      },
      async pull(controller) {
        const step = await next();
        if (ended) return;
        for (const chunk of step.chunks) controller.enqueue(encoder.encode(chunk));
        if (step.last) {
          end();
          controller.close();
        }
      },
      cancel: end,
    },
    { highWaterMark: 0 },
  );
}
