import { statusOf } from "../../domain/shop";
import type { Drop, DropStatus, StockSnapshot } from "../../domain/types";

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
  /**
   * Reads the stock of every drop named, in one statement (repo.readStocks); a drop missing from the answer
   * is left as it was. Called by the one loop of this watcher, however many drops and streams are open.
   */
  read: (dropIds: readonly string[]) => Promise<ReadonlyMap<string, StockSnapshot>>;
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
  /** Not yet part of any read: the loop reads it soon rather than after a whole interval. */
  unread: boolean;
}

interface Subscriber {
  seen: number;
  wake: ((update: StockUpdate | undefined) => void) | undefined;
  pending: Promise<StockUpdate | undefined> | undefined;
  closed: boolean;
}

/**
 * One stock-reading loop for every drop watched in this process, fanned out to every stream that watches
 * them: each tick reads all watched drops in one statement, so ten thousand open pages on one drop cost one
 * read per interval, and so do a thousand drops with one page each (one loop per drop once pushed /healthz
 * p50 from 2 ms to 1.4 s with 5,000 drops watched: issue 15 §2). The loop runs while anything is watched and
 * stops with the last subscriber; a drop sold out for good (stock never comes back) is no longer read.
 * @example
 * const watcher = createStockWatcher({ read: (ids) => repo.readStocks(db, ids) });
 * const sub = watcher.subscribe(drop);
 * const update = await sub.next(); // { remaining, serverTime, status }
 */
export function createStockWatcher(options: StockWatcherOptions) {
  const intervalMs = options.intervalMs ?? 400;
  /** A newly watched drop waits at most this for its first reading; such early reads come at most this often. */
  const firstReadGapMs = Math.min(intervalMs, 50);
  const onReadError = options.onReadError ?? ((error) => console.error("stock read failed", error));
  const watches = new Map<string, Watch>();
  /** Every open subscription's close, so a draining process can end them all; its size is the streams open. */
  const open = new Set<() => void>();
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerDueAt = 0;
  let reading = false;
  let lastReadAt = Number.NEGATIVE_INFINITY;

  function publish(watch: Watch, update: StockUpdate): void {
    const previous = watch.latest;
    watch.latest = update;
    watch.readAt = performance.now();
    // Only what a page shows counts as a change: the clock alone moving on is not news.
    // A size selling out while another's unit came back leaves the total as it was: the sizes count too.
    if (
      previous &&
      previous.remaining === update.remaining &&
      previous.status === update.status &&
      String(previous.sizes) === String(update.sizes) &&
      previous.queue === update.queue
    )
      return;
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

  /** Reads every watched drop that can still change, in one statement, and tells their subscribers. */
  async function tick(): Promise<void> {
    timer = undefined;
    const due = [...watches.values()].filter((watch) => !isFinal(watch));
    if (due.length === 0) return;
    reading = true;
    lastReadAt = performance.now();
    for (const watch of due) watch.unread = false;
    try {
      const snapshots = await options.read(due.map((watch) => watch.drop.id));
      for (const watch of due) {
        const snapshot = snapshots.get(watch.drop.id);
        // A drop whose last subscriber left during the read is forgotten: a later subscriber reads afresh.
        if (!snapshot || watches.get(watch.drop.id) !== watch) continue;
        publish(watch, {
          ...snapshot,
          status: statusOf(watch.drop, snapshot.remaining, snapshot.serverTime, snapshot),
        });
      }
    } catch (error) {
      onReadError(error);
    }
    reading = false;
    schedule();
  }

  /** Sets the loop's next read: soon for a drop never read yet, else an interval on; none with nothing to read. */
  function schedule(): void {
    if (reading || stopped) return;
    let anyDue = false;
    let anyUnread = false;
    for (const watch of watches.values()) {
      if (isFinal(watch)) continue;
      anyDue = true;
      anyUnread ||= watch.unread;
    }
    if (!anyDue) {
      clearTimeout(timer);
      timer = undefined;
      return;
    }
    const now = performance.now();
    const dueAt = anyUnread ? Math.max(now, lastReadAt + firstReadGapMs) : now + intervalMs;
    if (timer !== undefined) {
      if (dueAt >= timerDueAt) return;
      clearTimeout(timer);
    }
    timerDueAt = dueAt;
    timer = setTimeout(() => void tick(), dueAt - now);
  }

  function subscribe(drop: Drop): StockSubscription {
    if (stopped) return { next: () => Promise.resolve(undefined), close: () => undefined };
    let watch = watches.get(drop.id);
    if (!watch) {
      watch = { drop, latest: undefined, readAt: 0, version: 0, subscribers: new Set(), unread: true };
      watches.set(drop.id, watch);
      schedule();
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
        // Nobody left to tell: forget the drop (a read in flight then skips it), and stop the loop if it was the last.
        if (w.subscribers.size === 0 && watches.get(w.drop.id) === w) {
          watches.delete(w.drop.id);
          schedule();
        }
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
    const { remaining, hold, startsAt, sizes } = watch.latest;
    const status = statusOf(drop, remaining, serverTime, watch.latest);
    return {
      remaining,
      serverTime,
      hold,
      ...(startsAt ? { startsAt } : {}),
      ...(sizes ? { sizes } : {}),
      status,
    };
  }

  /**
   * A unit of the drop came back (a refund or cancel in this process): a "sold out" this watcher believed
   * for good is forgotten, so the next page view and the next tick read the stock again.
   */
  function reopen(dropId: string): void {
    const watch = watches.get(dropId);
    if (!watch || !isFinal(watch)) return;
    watch.latest = undefined;
    watch.unread = true;
  }

  return {
    subscribe,
    peek,
    reopen,
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
 * On an instant drop a seller's refund or cancel can still bring a unit back (issue 18 §3): the process
 * that returned it calls `reopen`, and open streams of it ended at "sold out", so a page loaded afterwards
 * reads the stock afresh (a watch with no subscribers is gone).
 */
export function isFinalUpdate(drop: Drop, update: StockUpdate | undefined): boolean {
  // A waitlist's offers lapse and move on even on an instant drop: its queue keeps the stream going.
  return (
    update?.status === "sold_out" && !(update.hold ?? drop.holdSeconds > 0) && update.queue === undefined
  );
}

const isFinal = (watch: { drop: Drop; latest?: StockUpdate | undefined }) =>
  isFinalUpdate(watch.drop, watch.latest);
