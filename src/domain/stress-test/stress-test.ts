import type { Database } from "../../db/database";
import { violatedConstraint } from "../../db/database";
import type { StressTestRow, StressTestStatus } from "../../repository";
import * as repo from "../../repository";
import { type DropSnapshot, dropWideUnit, type OrderListing } from "../../stampede/drop-api";
import { buildReceipt, type Receipt } from "../../stampede/receipt";
import { runStampedeInWorker } from "../../stampede/run-in-worker";
import type { StampedeRun } from "../../stampede/run-stampede";
import { InvalidInput, NotFound, StressTestRunning, StressTestUnavailable } from "../errors";
import { type VerifiedFans, verifyDraw } from "../fairness";
import { isUuid } from "../purchase/drop-cache";
import type { Shop } from "../shop";
import type { Drop, Seller } from "../types";
import { type CheckoutRunFacts, judgeCheckout } from "./checkout-audit";
import { drawReceipt, judgeDraw } from "./draw-audit";
import { type DrawFansRun, rehearseDrawFans } from "./draw-rehearsal";
import { verifyRehearsalFans } from "./rehearsal-fans";
import {
  cancelRehearsalRun,
  forgetRehearsalRun,
  REHEARSAL_RUN_HEADER,
  rehearsalHeaders,
  rehearsalRequestsInFlight,
} from "./rehearsal-marker";
import { type StressLimits, stressLimitsFor } from "./stress-limits";
import { checkStressQuota, checkStressSettings } from "./stress-quota";
import { type ProgressSnapshot, StressProgress, type TileReplay } from "./stress-test-progress";

export const STRESS_LIMITS = {
  minConcurrency: 1,
  defaultConcurrency: 200,
  /** Default attempts per unit: enough to sell out and then keep knocking on an empty stock. */
  attemptsPerUnit: 5,
} as const;

/** A refused start because the process is at its cap says to come back after this many seconds. */
const CAPACITY_RETRY_SECONDS = 30;
/** After a cancel, the purchases the server is still serving for the run get this long to finish. */
const DRAIN_LIMIT_MS = 30_000;

/**
 * A rehearsal of a hold drop holds for this long instead of the drop's minutes, so that holds expire,
 * units come back and late payments are refunded while the run lasts. Long enough that a win answered in
 * a few seconds under load still leaves its fan time to act (with 3 s, 269 of 681 holds on a loaded
 * embedded database ran out before their fan heard of them; BENCHMARKS.md), short enough for a run of
 * a minute to see several holds of each unit. Never offered to the public API, which takes 1-60 minutes.
 */
export const REHEARSAL_HOLD_SECONDS = 5;
/**
 * A draw rehearsal's entries stay open at most this long (its fans verify first, then enter); the run closes
 * them as soon as every fan's entry was answered, so the window lasts as long as the entering does.
 */
const REHEARSAL_ENTRIES_LIMIT_MS = 10 * 60_000;
/** After the fans, holds still running are given this long beyond the hold to end before the audit. */
const HOLDS_END_SLACK_MS = 10_000;
/** Expired holds ended per sweep transaction (three rows changed each; DSQL allows 3,000 per transaction). */
const HOLDS_SWEPT_AT_ONCE = 500;

/** Orders are read back for the receipt this many at a time. */
const ORDERS_PAGE = 1000;
/** A running test's process says it is alive this often... */
const HEARTBEAT_MS = 2000;
/** ...and one silent for this long was left behind by a process that stopped. */
const STALE_SECONDS = 10;
const RECENT_TESTS = 20;

export interface StressSettings {
  attempts: number;
  concurrency: number;
  /**
   * "watch" (the form's default): the attempts are spread over about `watchSpreadMs` (15 s) so the seller
   * sees the race unfold; "fast": as fast as the server answers. Absent: "fast".
   */
  pace?: StressPace | undefined;
}

export type StressPace = "watch" | "fast";
export const STRESS_PACES: readonly StressPace[] = ["watch", "fast"];

/** How long a watchable run spreads its attempts over: long enough to watch, short enough to wait for. */
export const WATCH_SPREAD_MS = 15_000;

/** The fewest attempts a default run makes: a small drop's run still lasts long enough to watch. */
const DEFAULT_MIN_ATTEMPTS = 1000;
/** A default run comes in at least this many waves: 60 attempts at 200 at once was over before it showed. */
const DEFAULT_WAVES = 20;

/**
 * Five attempts per unit (at least 1,000) in at least 20 waves of up to 200 at a time, within the limits
 * (by default PostgreSQL's).
 * @example defaultStressSettings(12) // { attempts: 1000, concurrency: 50 }
 */
export function defaultStressSettings(
  quantity: number,
  limits: Pick<StressLimits, "maxAttempts" | "maxConcurrency"> = stressLimitsFor("postgres"),
): StressSettings {
  const attempts = Math.min(
    limits.maxAttempts,
    Math.max(DEFAULT_MIN_ATTEMPTS, STRESS_LIMITS.attemptsPerUnit * quantity),
  );
  const waves = Math.max(1, Math.floor(attempts / DEFAULT_WAVES));
  return {
    attempts,
    concurrency: Math.min(limits.maxConcurrency, STRESS_LIMITS.defaultConcurrency, waves),
  };
}

export interface StressTest {
  id: string;
  dropId: string;
  rehearsalDropId: string;
  status: StressTestStatus;
  attempts: number;
  concurrency: number;
  /** The audit-based receipt, once the run ended with one. */
  receipt: Receipt | undefined;
  /** The tile race to replay on the receipt page; absent on runs stored before it was kept. */
  replay: TileReplay | undefined;
  /** Why the run ended without a receipt, or was interrupted. */
  problem: string | undefined;
  createdAt: Date;
  finishedAt: Date | undefined;
}

/** A run this process is driving: how to watch it, stop it, and wait for its end. */
export interface LiveStressTest {
  progress(): ProgressSnapshot;
  /** The version of the progress, to see whether a look would show anything new. */
  version(): number;
  /** Resolves with the finished test (never rejects). */
  finished: Promise<StressTest>;
}

/** What the receipt column holds: the receipt, and beside it the race to replay. */
type StoredReceipt = Receipt & { replay?: TileReplay };

function toStressTest(row: StressTestRow): StressTest {
  const stored = row.receiptJson ? (JSON.parse(row.receiptJson) as StoredReceipt) : undefined;
  const { replay, ...receipt } = stored ?? {};
  return {
    id: row.id,
    dropId: row.dropId,
    rehearsalDropId: row.rehearsalDropId,
    status: row.status,
    attempts: row.attempts,
    concurrency: row.concurrency,
    receipt: stored ? (receipt as Receipt) : undefined,
    replay,
    problem: row.problem ?? undefined,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt ?? undefined,
  };
}

/**
 * Every order of the rehearsal drop as the receipt wants it, paging through the repository; on a drop of
 * several sizes, units counted across the drop (dropWideUnit), as the runner counts its wins.
 */
async function orderListing(db: Database, dropId: string, drop?: DropSnapshot): Promise<OrderListing> {
  const listing: OrderListing = { orderIds: [], units: [] };
  const idOf = new Map((drop?.variants ?? []).map((v, position) => [position, v.id]));
  let cursor: string | undefined;
  for (;;) {
    const page = await repo.listOrders(db, dropId, ORDERS_PAGE, cursor);
    for (const order of page) {
      listing.orderIds.push(order.id);
      listing.units.push(
        drop ? dropWideUnit(drop, order.unitNo, idOf.get(order.variant ?? 0)) : order.unitNo,
      );
    }
    if (page.length < ORDERS_PAGE) return listing;
    cursor = page.at(-1)!.id;
  }
}

const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Waits until this process has finished serving the run's own purchases (after a cancel cut them off
 * at the client, the server may still be committing some), so the audit that follows sees all of them.
 */
async function drained(runId: string): Promise<void> {
  const giveUpAt = performance.now() + DRAIN_LIMIT_MS;
  while (rehearsalRequestsInFlight(runId) > 0 && performance.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const number = (n: number) => n.toLocaleString("en-US");

/** What a receipt says when its run was cancelled because the server process was stopping. */
export const SHUTDOWN_PROBLEM =
  "Cancelled because the server was shutting down (SIGTERM): the receipt covers the attempts sent until then. Start the Stress Test again.";

interface Running {
  progress: StressProgress;
  controller: AbortController;
  /** Why the run was stopped other than by the seller (the process shutting down), said on its receipt. */
  stopReason?: string | undefined;
  /** Checkout mode: the seller's drop holds wins for payment, and so does its rehearsal copy. */
  checkout: boolean;
  /** The rehearsal sells to verified fans only: its fans verify through the code step first. */
  verified: boolean;
  /** The drop sells by draw: the rehearsal enters, closes, draws and walks the offers down the ranking. */
  draw: boolean;
  /** The attempts leave spread over this long (a watchable run); 0: as fast as they are answered. */
  spreadOverMs: number;
  finished: Promise<StressTest>;
}

/**
 * The seller's one-click Stress Test: a rehearsal copy of a drop (same stock, limit and price, live at
 * once, never in listings or revenue) is stampeded through this process's own public purchase endpoint,
 * and the rehearsal's database audit writes the receipt. Runs are driven in this process; their rows
 * carry a heartbeat so that runs a stopped process left "running" are found and marked interrupted.
 *
 * @example
 * const tests = createStressTests({ db, shop, selfUrl: () => "http://127.0.0.1:3000" });
 * const test = await tests.start(seller, "winter-sneaker-k3x9qa", { attempts: 150, concurrency: 20 });
 */
export function createStressTests(deps: {
  db: Database;
  shop: Shop;
  selfUrl?: (() => string | undefined) | undefined;
  logError?: (error: unknown) => void;
  /** Overrides of the backend's default limits (STRESS_* in the environment). */
  limits?: Partial<StressLimits> | undefined;
  /** The hold of a hold drop's rehearsal copy; REHEARSAL_HOLD_SECONDS when absent (tests hold shorter). */
  rehearsalHoldSeconds?: number | undefined;
  /** Verified fans (issue 17): a verified drop's rehearsal verifies its fans through the code step. */
  fans?: VerifiedFans | undefined;
  /** How long a watchable run ("watch" pace) spreads its attempts over; WATCH_SPREAD_MS when absent. */
  watchSpreadMs?: number | undefined;
}) {
  const { db, shop } = deps;
  const rehearsalHoldSeconds = deps.rehearsalHoldSeconds ?? REHEARSAL_HOLD_SECONDS;
  const watchSpreadMs = deps.watchSpreadMs ?? WATCH_SPREAD_MS;
  const limits = stressLimitsFor(db.backend, deps.limits);
  const logError = deps.logError ?? ((error: unknown) => console.error(error));
  const running = new Map<string, Running>();
  /**
   * Sellers with a start in progress or a run going (with its id once known), claimed before any await so
   * two clicks cannot race past the check.
   */
  const busySellers = new Map<string, string | undefined>();

  const sweep = () => repo.interruptAbandonedStressTests(db, [...running.keys()], STALE_SECONDS);

  async function finish(
    id: string,
    outcome: Parameters<typeof repo.finishStressTest>[2],
  ): Promise<StressTest> {
    // The row must not stay "running": a few tries, then the heartbeat's silence lets a sweep close it.
    for (let tries = 1; ; tries++) {
      try {
        const row = (await repo.finishStressTest(db, id, outcome)) ?? (await repo.findStressTest(db, id));
        if (!row) throw new Error(`stress test ${id} vanished`);
        return toStressTest(row);
      } catch (error) {
        if (tries >= 3) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500 * tries));
      }
    }
  }

  /**
   * The checkout audit of a hold rehearsal, once every hold has ended: the holds still running when the
   * fans were done are waited out (and the drop swept, so the receipt does not wait on the periodic
   * sweeper's tick); then the books and the rehearsal payment ledger are judged.
   */
  async function checkoutAudit(dropId: string, run: StampedeRun) {
    return judgedBooks(dropId, {
      wins: run.wins,
      activity: run.checkout,
      cancelled: run.cancelled,
      unanswered: run.counts.error + run.abandoned,
      attempts: run.attempts,
    });
  }

  async function judgedBooks(dropId: string, facts: CheckoutRunFacts) {
    const giveUpAt = performance.now() + rehearsalHoldSeconds * 1000 + HOLDS_END_SLACK_MS;
    while ((await repo.countHeldOrders(db, dropId)) > 0 && performance.now() < giveUpAt) {
      await repo.sweepExpiredHolds(db, HOLDS_SWEPT_AT_ONCE, dropId).catch(logError);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const books = await repo.readCheckoutBooks(db, dropId);
    if (!books) throw new Error("the rehearsal drop is gone");
    const orderIds = new Set(books.claims.map((claim) => claim.orderId));
    const ledger = shop.rehearsalPayments.ledgerOf(orderIds);
    shop.rehearsalPayments.forget(orderIds);
    return judgeCheckout(books, ledger, facts);
  }

  /**
   * A draw drop's rehearsal, after its fans verified: they enter, the entries close, the draw runs through
   * the same code as the tick's (with no grace: every entry was answered before the close), winners act,
   * and the receipt judges the books, the queue and the draw record (verifyDraw, draw:verify's own check).
   */
  async function rehearseDraw(
    row: StressTestRow,
    baseUrl: string,
    live: Omit<Running, "finished">,
    tokens: string[],
    headers: Record<string, string>,
  ) {
    const startedAt = performance.now();
    const dropId = row.rehearsalDropId;
    const drop = await shop.currentDrop(dropId);
    const fans: DrawFansRun = await rehearseDrawFans({
      baseUrl,
      dropId,
      quantity: drop.quantity,
      holdSeconds: drop.holdSeconds,
      tokens,
      headers,
      signal: live.controller.signal,
      closeEntries: async () => {
        await repo.closeRehearsalEntries(db, dropId);
      },
      runDraw: async () => {
        await shop.fairness.runDraw(dropId, { graceSeconds: 0 });
      },
      sweep: async () => {
        await repo.sweepExpiredHolds(db, HOLDS_SWEPT_AT_ONCE, dropId).catch(logError);
        await shop.fairness.offerAll(dropId);
      },
      stats: () => shop.fairness.stats(dropId),
      onProgress: (progress) => live.progress.recordDraw(progress, performance.now() - startedAt),
    });
    await drained(row.id);
    const checkout = await judgedBooks(dropId, {
      wins: fans.wins,
      activity: fans.activity,
      cancelled: fans.cancelled,
      // Offers are the server's, not answers to a fan: one its fan never looked at (it lapsed first) has
      // no acknowledgement to match, and is reported on the receipt as such.
      unanswered: Math.max(0, (await shop.fairness.stats(dropId)).offered - fans.wins.orderIds.length),
      attempts: fans.fans,
    });
    const stats = await shop.fairness.stats(dropId);
    const drawn = (await repo.findDraw(db, dropId))?.ranked_at != null;
    const problems = drawn ? verifyDraw(await shop.fairness.drawRecord(dropId, drop.quantity)) : [];
    const draw = judgeDraw(fans, stats, problems, checkout);
    if (!drawn && !fans.cancelled) draw.breaches.push("the draw did not run");
    return drawReceipt({
      draw,
      checkout,
      fans,
      backend: `${db.backend} (${db.isolation})`,
      baseUrl,
      drop: { id: drop.id, slug: drop.slug },
      concurrency: row.concurrency,
      durationSeconds: (performance.now() - startedAt) / 1000,
    });
  }

  /** A race for the units: the stampede off this event loop, then the audit of the rehearsal's books. */
  async function stampedeReceipt(
    row: StressTestRow,
    baseUrl: string,
    live: Omit<Running, "finished">,
    headers: Record<string, string>,
    fanTokens: string[] | undefined,
  ) {
    // Off this event loop (a worker thread), marked so that this process serves it in the rehearsal lane.
    const run = await runStampedeInWorker({
      baseUrl,
      dropRef: row.rehearsalDropId,
      attempts: row.attempts,
      concurrency: row.concurrency,
      signal: live.controller.signal,
      headers,
      ...(fanTokens ? { fanTokens } : {}),
      ...(live.spreadOverMs > 0 ? { spreadOverMs: live.spreadOverMs } : {}),
      onBatch: (batch) => live.progress.recordBatch(batch),
      checkout: live.checkout,
    });
    await drained(row.id);
    const checkout = live.checkout ? await checkoutAudit(row.rehearsalDropId, run) : undefined;
    const audit = await repo.auditDrop(db, row.rehearsalDropId);
    if (!audit) throw new Error("the rehearsal drop is gone");
    const orders = await orderListing(db, row.rehearsalDropId, run.drop);
    const receipt = buildReceipt(run, audit, orders, {
      backend: `${db.backend} (${db.isolation})`,
      checkout,
    });
    return receipt;
  }

  async function drive(row: StressTestRow, baseUrl: string, live: Omit<Running, "finished">) {
    const heartbeat = setInterval(() => {
      repo.touchStressTest(db, row.id).catch(logError);
    }, HEARTBEAT_MS);
    heartbeat.unref?.();
    let outcome: Parameters<typeof repo.finishStressTest>[2];
    live.controller.signal.addEventListener("abort", () => cancelRehearsalRun(row.id), { once: true });
    const headers = { ...rehearsalHeaders(), [REHEARSAL_RUN_HEADER]: row.id };
    const mailbox = live.verified ? deps.fans?.openRehearsalMailbox(row.id) : undefined;
    try {
      // A verified drop's rehearsal: every fan verifies first, through the code step, reading its code from
      // the run's own mailbox; the stampede then buys with their tokens.
      const fanTokens = mailbox
        ? await verifyRehearsalFans({
            baseUrl,
            runId: row.id,
            count: row.attempts,
            headers,
            mailbox,
            signal: live.controller.signal,
          }).catch((error: unknown) => {
            // A draw rehearsal cancelled while its fans verify still ends on a receipt (nobody entered).
            if (live.draw && live.controller.signal.aborted) return [];
            throw error;
          })
        : undefined;
      // A draw drop's rehearsal runs its draw; any other drop's is a race for the units.
      const receipt = live.draw
        ? await rehearseDraw(row, baseUrl, live, fanTokens ?? [], headers)
        : await stampedeReceipt(row, baseUrl, live, headers, fanTokens);
      const status = receipt.cancelled ? "cancelled" : receipt.verdict === "PASS" ? "passed" : "failed";
      const stored: StoredReceipt = { ...receipt, replay: live.progress.replay() };
      outcome = { status, receiptJson: JSON.stringify(stored), problem: live.stopReason ?? null };
    } catch (error) {
      logError(error);
      outcome = {
        status: live.controller.signal.aborted ? "cancelled" : "failed",
        receiptJson: null,
        problem: [live.stopReason, `The run stopped before its receipt: ${describeError(error)}`]
          .filter(Boolean)
          .join(" "),
      };
    } finally {
      clearInterval(heartbeat);
      mailbox?.close();
      forgetRehearsalRun(row.id);
    }
    return finish(row.id, outcome);
  }

  const variantInputsOf = async (drop: Drop) =>
    (await shop.variantsOf(drop)).map((variant) => ({
      name: variant.name,
      quantity: variant.quantity,
      ...(variant.priceCents === null ? {} : { priceCents: variant.priceCents }),
    }));

  async function launch(seller: Seller, drop: Drop, settings: StressSettings, baseUrl: string) {
    const elsewhere = await repo.findRunningStressTest(db, seller.id);
    if (elsewhere) throw new StressTestRunning(elsewhere.id);
    await checkStressQuota(db, seller.id, settings.attempts, limits);
    const draw = await shop.fairness.findDraw(drop.id);
    if (draw && !deps.fans) {
      throw new StressTestUnavailable(
        "A draw drop's rehearsal verifies its fans by email code, which this server is not set up to do.",
      );
    }
    const rehearsal = await shop.createDrop(
      seller,
      {
        title: `Rehearsal: ${drop.title}`.slice(0, 120),
        description: `Stress Test copy of ${drop.slug}. Not for sale.`,
        priceCents: drop.priceCents,
        currency: drop.currency,
        quantity: drop.quantity,
        maxPerFan: drop.maxPerFan,
        bucketCount: drop.bucketCount,
        // A minute back, so a database clock a little behind ours still sees it live at once.
        startsAt: new Date(Date.now() - 60_000),
        // A hold drop is rehearsed with its checkout, on a hold short enough to run out during the run.
        holdSeconds: drop.holdSeconds > 0 ? rehearsalHoldSeconds : 0,
        // A verified-fans drop is rehearsed with verified fans (when this process can verify them).
        verifiedFans: drop.verifiedFans && deps.fans !== undefined,
        // A draw drop is rehearsed with a draw of its own (a fresh seed; no public value to wait for), its
        // entries open at once and closed by the run once its fans have entered.
        ...(draw
          ? { draw: shop.fairness.drawTerms(new Date(Date.now() + REHEARSAL_ENTRIES_LIMIT_MS), null) }
          : {}),
        // A drop of several sizes is rehearsed with the same sizes (the runner spreads fans round them).
        ...(drop.variantCount ? { variants: await variantInputsOf(drop) } : {}),
      },
      { rehearsalOf: drop.id },
    );
    let row: StressTestRow;
    try {
      row = await repo.insertStressTest(db, {
        sellerId: seller.id,
        dropId: drop.id,
        rehearsalDropId: rehearsal.id,
        ...settings,
      });
    } catch (error) {
      // Another process started one for this seller in the meantime.
      if (violatedConstraint(error) === "stress_tests_one_running_key") {
        throw new StressTestRunning((await repo.findRunningStressTest(db, seller.id))?.id);
      }
      throw error;
    }
    const checkout = drop.holdSeconds > 0;
    const live: Omit<Running, "finished"> = {
      progress: new StressProgress(drop.quantity, settings.attempts, checkout),
      controller: new AbortController(),
      checkout,
      verified: rehearsal.verifiedFans,
      draw: draw !== undefined,
      spreadOverMs: settings.pace === "watch" ? watchSpreadMs : 0,
    };
    if (live.draw) {
      const fans = settings.attempts;
      live.progress.recordDraw(
        { phase: "verifying", fans, entries: 0, winners: 0, offered: 0, held: 0, paid: 0, lapsed: 0 },
        0,
      );
    }
    const finished = drive(row, baseUrl, live)
      .catch((error: unknown) => {
        logError(error);
        return { ...toStressTest(row), status: "failed" as const, problem: describeError(error) };
      })
      .finally(() => {
        running.delete(row.id);
        busySellers.delete(seller.id);
      });
    // The same object drive() holds, so a stop reason set on it later reaches the receipt.
    running.set(row.id, Object.assign(live, { finished }));
    busySellers.set(seller.id, row.id);
    return toStressTest(row);
  }

  return {
    /** The limits this process applies (the backend's defaults with any configured overrides). */
    limits,

    /**
     * Starts a run on a rehearsal copy of the seller's drop and returns at once; the run goes on in this
     * process. Throws StressTestRunning while the seller has one going, StressTestUnavailable when this
     * process does not know where it listens (the requests must reach its own HTTP server).
     */
    async start(seller: Seller, ref: string, settings: StressSettings): Promise<StressTest> {
      const drop = await shop.findOwnDrop(seller, ref);
      if (drop.isRehearsal) {
        throw new InvalidInput([
          { path: "", message: "a rehearsal cannot be stress tested; start from the drop itself" },
        ]);
      }
      const baseUrl = deps.selfUrl?.();
      if (!baseUrl) {
        throw new StressTestUnavailable(
          "This server does not know the address it listens on, so it cannot send the Stress Test's purchases to itself. Start it from a server started with npm start.",
        );
      }
      if (busySellers.has(seller.id)) throw new StressTestRunning(busySellers.get(seller.id));
      checkStressSettings(settings, limits);
      if (busySellers.size >= limits.maxRunning) {
        throw new StressTestUnavailable(
          limits.maxRunning === 0
            ? "Stress Tests are turned off on this server."
            : `This server is already running ${limits.maxRunning === 1 ? "a Stress Test" : `${number(limits.maxRunning)} Stress Tests`}, the most it runs at once so that live drops stay fast. Try again in a minute.`,
          CAPACITY_RETRY_SECONDS,
        );
      }
      busySellers.set(seller.id, undefined);
      try {
        await sweep();
        return await launch(seller, drop, settings, baseUrl);
      } catch (error) {
        busySellers.delete(seller.id);
        throw error;
      }
    },

    /** One of the drop's tests; another seller's, or another drop's, is "not found". */
    async find(seller: Seller, ref: string, id: string): Promise<{ drop: Drop; test: StressTest }> {
      const drop = await shop.findOwnDrop(seller, ref);
      if (!isUuid(id)) throw new NotFound("stress test");
      let row = await repo.findStressTest(db, id.toLowerCase());
      if (!row || row.dropId !== drop.id || row.sellerId !== seller.id) throw new NotFound("stress test");
      if (row.status === "running" && !running.has(row.id) && (await sweep()) > 0) {
        row = (await repo.findStressTest(db, row.id)) ?? row;
      }
      return { drop, test: toStressTest(row) };
    },

    /** The drop's recent tests, newest first. */
    async list(drop: Drop): Promise<StressTest[]> {
      await sweep();
      return (await repo.listStressTests(db, drop.id, RECENT_TESTS)).map(toStressTest);
    },

    /** The live view of a run this process drives; undefined once it ended (or runs elsewhere). */
    live(id: string): LiveStressTest | undefined {
      const run = running.get(id);
      if (!run) return undefined;
      return {
        progress: () => run.progress.snapshot(),
        version: () => run.progress.version,
        finished: run.finished,
      };
    },

    /**
     * Stops handing out attempts; those in flight finish, and the receipt is built from what was sent.
     * A finished test is left as it is.
     */
    async cancel(seller: Seller, ref: string, id: string): Promise<{ drop: Drop; test: StressTest }> {
      const found = await this.find(seller, ref, id);
      const { test } = found;
      if (test.status !== "running") return found;
      const run = running.get(test.id);
      if (!run) {
        throw new StressTestUnavailable(
          "This Stress Test is driven by another server process; cancel it there, or wait for its receipt.",
        );
      }
      run.controller.abort();
      return found;
    },

    /**
     * Cancels every run this process drives, saying why on each receipt, and resolves once each has
     * written its receipt: a process told to stop (SIGTERM) leaves no run "running" behind.
     * @example lifecycle.onDrain(() => stressTests.cancelAll(SHUTDOWN_PROBLEM))
     */
    async cancelAll(reason: string): Promise<void> {
      const runs = [...running.values()];
      for (const run of runs) {
        run.stopReason = reason;
        run.controller.abort();
      }
      await Promise.allSettled(runs.map((run) => run.finished));
    },
  };
}

export type StressTests = ReturnType<typeof createStressTests>;
