import { statusOf } from "../domain/shop";
import type { Drop, DropStatus, StockSnapshot } from "../domain/types";

/** What every open stream of a drop is told: the units left, judged on the database clock. */
export interface StockUpdate extends StockSnapshot {
  status: DropStatus;
}

/** One open stream's view of a drop's stock. */
export interface StockSubscription {
  /**
   * The newest update this subscriber has not seen yet, waiting for one when it is up to date; `undefined`
   * once the subscription is closed. A slow reader skips updates it was too slow for and gets the latest,
   * so nothing queues up behind it.
   */
  next(): Promise<StockUpdate | undefined>;
  close(): void;
}

export interface StockWatcherOptions {
  /** Reads a drop's stock; called by at most one loop per drop, however many streams are open. */
  read: (dropId: string) => Promise<StockSnapshot>;
  /** Pause between reads while anyone watches. */
  intervalMs?: number;
  /** Where failed reads are reported; the loop keeps going and tries again after the interval. */
  onReadError?: (error: unknown) => void;
}

interface Watch {
  drop: Drop;
  latest: StockUpdate | undefined;
  /** When `latest` was read, on this process's monotonic clock. */
  readAt: number;
  version: number;
  subscribers: Set<Subscriber>;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface Subscriber {
  seen: number;
  wake: ((update: StockUpdate | undefined) => void) | undefined;
  pending: Promise<StockUpdate | undefined> | undefined;
  closed: boolean;
}

/**
 * One stock-reading loop per watched drop in this process, fanned out to every stream that watches it:
 * ten thousand open pages cost one read per interval, not ten thousand. The loop starts with the first
 * subscriber, stops with the last, and stops for good once the drop is sold out (stock never comes back).
 * @example
 * const watcher = createStockWatcher({ read: (id) => repo.readStock(db, id) });
 * const sub = watcher.subscribe(drop);
 * const update = await sub.next(); // { remaining, serverTime, status }
 */
export function createStockWatcher(options: StockWatcherOptions) {
  const intervalMs = options.intervalMs ?? 400;
  const onReadError = options.onReadError ?? ((error) => console.error("stock read failed", error));
  const watches = new Map<string, Watch>();
  /** Every open subscription's close, so a draining process can end them all; its size is the streams open. */
  const open = new Set<() => void>();
  let stopped = false;

  function publish(watch: Watch, update: StockUpdate): void {
    const previous = watch.latest;
    watch.latest = update;
    watch.readAt = performance.now();
    // Only what a page shows counts as a change: the clock alone moving on is not news.
    if (previous && previous.remaining === update.remaining && previous.status === update.status) return;
    watch.version++;
    for (const subscriber of watch.subscribers) deliver(watch, subscriber);
  }

  function deliver(watch: Watch, subscriber: Subscriber): void {
    if (!subscriber.wake || !watch.latest || subscriber.seen >= watch.version) return;
    const wake = subscriber.wake;
    subscriber.seen = watch.version;
    subscriber.wake = undefined;
    subscriber.pending = undefined;
    wake(watch.latest);
  }

  async function tick(watch: Watch): Promise<void> {
    watch.timer = undefined;
    try {
      const snapshot = await options.read(watch.drop.id);
      publish(watch, {
        ...snapshot,
        status: statusOf(watch.drop, snapshot.remaining, snapshot.serverTime, snapshot),
      });
    } catch (error) {
      onReadError(error);
    }
    if (watches.get(watch.drop.id) !== watch) return;
    if (watch.subscribers.size === 0 || isFinal(watch)) {
      // Nobody left to tell, or nothing left to change: forget the drop; a later subscriber reads afresh.
      if (watch.subscribers.size === 0) watches.delete(watch.drop.id);
      return;
    }
    watch.timer = setTimeout(() => void tick(watch), intervalMs);
  }

  function subscribe(drop: Drop): StockSubscription {
    if (stopped) return { next: () => Promise.resolve(undefined), close: () => undefined };
    let watch = watches.get(drop.id);
    if (!watch) {
      watch = { drop, latest: undefined, readAt: 0, version: 0, subscribers: new Set(), timer: undefined };
      watches.set(drop.id, watch);
      void tick(watch);
    }
    const w = watch;
    const subscriber: Subscriber = { seen: 0, wake: undefined, pending: undefined, closed: false };
    w.subscribers.add(subscriber);

    const subscription: StockSubscription = {
      next() {
        if (subscriber.closed) return Promise.resolve(undefined);
        if (w.latest && subscriber.seen < w.version) {
          subscriber.seen = w.version;
          return Promise.resolve(w.latest);
        }
        // Waiting twice (e.g. racing a heartbeat) shares one promise, so no update is handed out and lost.
        subscriber.pending ??= new Promise((resolve) => {
          subscriber.wake = resolve;
        });
        return subscriber.pending;
      },
      close() {
        if (subscriber.closed) return;
        subscriber.closed = true;
        open.delete(subscription.close);
        w.subscribers.delete(subscriber);
        subscriber.wake?.(undefined);
        subscriber.wake = undefined;
        if (w.subscribers.size === 0 && w.timer !== undefined) {
          clearTimeout(w.timer);
          w.timer = undefined;
          watches.delete(w.drop.id);
        }
        // With a read in flight, the loop itself sees nobody is left and forgets the drop.
        if (w.subscribers.size === 0 && isFinal(w)) watches.delete(w.drop.id);
      },
    };
    open.add(subscription.close);
    return subscription;
  }

  /**
   * The stock as last read for a drop being watched, if that read is fresh, with its database time moved on
   * by the time since: a page view during a busy drop then costs no query of its own.
   */
  function peek(drop: Drop): StockUpdate | undefined {
    const watch = watches.get(drop.id);
    if (!watch?.latest) return undefined;
    const age = performance.now() - watch.readAt;
    if (age > 2 * intervalMs && !isFinal(watch)) return undefined;
    const serverTime = new Date(watch.latest.serverTime.getTime() + age);
    const { remaining, hold, startsAt } = watch.latest;
    const status = statusOf(drop, remaining, serverTime, watch.latest);
    return { remaining, serverTime, hold, ...(startsAt ? { startsAt } : {}), status };
  }

  return {
    subscribe,
    peek,
    /** Subscriptions open right now (one per live-counter stream). */
    openCount: () => open.size,
    /**
     * Ends every subscription, and every later one at once: a draining process tells its streams to
     * reconnect elsewhere.
     */
    closeAll(): void {
      stopped = true;
      for (const close of [...open]) close();
    },
    /** Drops being watched right now and their subscriber counts, for tests and diagnostics. */
    watching(): Map<string, number> {
      return new Map([...watches].map(([id, watch]) => [id, watch.subscribers.size]));
    },
  };
}

export type StockWatcher = ReturnType<typeof createStockWatcher>;

/**
 * Sold out is final, and the drop's reading can stop, except on a hold drop, whose units come back. The
 * mode is the database's, from the same read (the cached drop may predate a switch made elsewhere).
 */
export function isFinalUpdate(drop: Drop, update: StockUpdate | undefined): boolean {
  return update?.status === "sold_out" && !(update.hold ?? drop.holdSeconds > 0);
}

const isFinal = (watch: { drop: Drop; latest?: StockUpdate | undefined }) =>
  isFinalUpdate(watch.drop, watch.latest);
