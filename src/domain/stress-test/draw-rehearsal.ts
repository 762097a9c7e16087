/**
 * A Stress Test of a draw drop (issue 17 §5): the rehearsal copy runs its draw as the real drop would. Its
 * verified fans (rehearsal-fans.ts) enter through the public entries endpoint; entries close; the draw runs
 * through the same code the periodic tick uses (freeze, commitment, seed reveal, ranking, offers); each fan
 * then reads its own status as a fan page does and acts on a win: a third of winners never pay, so their
 * holds lapse and the offer walks down the ranking, the rest pay through the rehearsal's payment path.
 * Everything over HTTP, marked as the run's own traffic, so no real email, webhook or money moves.
 */
import type { QueueStats } from "../../repository";
import { runWorkers } from "../../stampede";
import { type CheckoutActivity, emptyActivity } from "../../stampede/checkout-buyers";

/** Fans entering (and reading their status) at once: the steps are light, the rehearsal lane paces them. */
const FAN_CONCURRENCY = 16;
/** How often the fans look at their status once the draw ran (a fan page polls about as often). */
const POLL_MS = 250;
/** The test provider's card that pays at once (src/domain/checkout/payments.ts TEST_CARDS). */
const CARD_SUCCEEDS = "4242424242424242";
const MAX_PROBLEMS = 5;

/** Where the draw rehearsal stands, for the watchable progress page. */
export interface DrawProgress {
  phase: "verifying" | "entering" | "drawing" | "offers" | "done";
  fans: number;
  entries: number;
  /** Entries offered a unit when the draw ran (the top of the ranking). */
  winners: number;
  offered: number;
  held: number;
  paid: number;
  lapsed: number;
}

/** What the fans saw and did, for the receipt (the database's own figures are read beside it). */
export interface DrawFansRun {
  fans: number;
  /** Entries answered 201. */
  entered: number;
  entriesWindowMs: number;
  winnersAtDraw: number;
  /** Offers each fan saw as "won", with its unit, as parallel arrays. */
  wins: { orderIds: string[]; units: number[] };
  /** What the winners did at checkout, in the checkout rehearsal's terms (never-paid winners: "abandons"). */
  activity: CheckoutActivity;
  /** The most units held or paid at one look at the queue (one statement each: a consistent snapshot). */
  peakHeldOrPaid: number;
  looks: number;
  stalled: boolean;
  cancelled: boolean;
  problems: string[];
}

export interface DrawFansOptions {
  baseUrl: string;
  dropId: string;
  quantity: number;
  holdSeconds: number;
  /** The verified fans' tokens, one per fan. */
  tokens: readonly string[];
  headers: Record<string, string>;
  signal: AbortSignal;
  /** The server's side: close the entries, run the draw, do the periodic sweep and offers, count the queue. */
  closeEntries: () => Promise<void>;
  runDraw: () => Promise<void>;
  sweep: () => Promise<void>;
  stats: () => Promise<QueueStats>;
  onProgress: (progress: DrawProgress) => void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });

interface FanStatus {
  status?: string;
  orderId?: string;
  orderToken?: string;
  unitNo?: number;
}

/** The fans' part of a draw rehearsal, from entering to the last offer settled. Never rejects on an answer. */
export async function rehearseDrawFans(o: DrawFansOptions): Promise<DrawFansRun> {
  const { signal } = o;
  const activity = emptyActivity();
  const run: DrawFansRun = {
    fans: o.tokens.length,
    entered: 0,
    entriesWindowMs: 0,
    winnersAtDraw: 0,
    wins: { orderIds: [], units: [] },
    activity,
    peakHeldOrPaid: 0,
    looks: 0,
    stalled: false,
    cancelled: false,
    problems: [],
  };
  const problem = (text: string) => {
    if (!signal.aborted && run.problems.length < MAX_PROBLEMS) run.problems.push(text);
  };
  const call = async (
    method: "GET" | "POST",
    path: string,
    extra: Record<string, string>,
    body?: unknown,
  ) => {
    const res = await fetch(new URL(path, o.baseUrl), {
      method,
      headers: { ...o.headers, ...extra, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal,
    });
    const text = await res.text();
    return { status: res.status, text };
  };
  const progress: DrawProgress = {
    phase: "entering",
    fans: run.fans,
    entries: 0,
    winners: 0,
    offered: 0,
    held: 0,
    paid: 0,
    lapsed: 0,
  };
  const report = () => o.onProgress({ ...progress });
  const look = async () => {
    const stats = await o.stats();
    run.looks += 1;
    run.peakHeldOrPaid = Math.max(run.peakHeldOrPaid, stats.held + stats.paid);
    Object.assign(progress, {
      entries: stats.entries,
      offered: stats.offered,
      held: stats.held,
      paid: stats.paid,
      lapsed: stats.lapsed,
    });
    report();
    return stats;
  };

  try {
    // Entries: every fan enters once, with its fan token, while the window is open.
    report();
    const openedAt = performance.now();
    const entryOf = new Map<number, string>();
    await runWorkers(
      o.tokens.length,
      FAN_CONCURRENCY,
      async (n) => {
        const answer = await call(
          "POST",
          `/api/drops/${o.dropId}/entries`,
          { "fan-token": o.tokens[n]! },
          {},
        );
        if (answer.status !== 201) return problem(`an entry was answered ${answer.status} ${answer.text}`);
        run.entered += 1;
        progress.entries = run.entered;
        entryOf.set(n, (JSON.parse(answer.text) as { entry: { id: string } }).entry.id);
        if (run.entered % 50 === 0) report();
      },
      signal,
    );
    if (signal.aborted) return { ...run, cancelled: true };
    await o.closeEntries();
    run.entriesWindowMs = performance.now() - openedAt;
    progress.phase = "drawing";
    report();
    await o.runDraw();
    run.winnersAtDraw = (await look()).offered;
    progress.winners = run.winnersAtDraw;
    progress.phase = "offers";

    // Offers: the fans at the top of the ranking (the offered ones) read their status; winners act.
    const record = JSON.parse((await call("GET", `/api/drops/${o.dropId}/draw`, {})).text) as {
      ranking?: string[];
    };
    const fanOfEntry = new Map([...entryOf].map(([n, id]) => [id, n]));
    const ranked = (record.ranking ?? []).map((id) => fanOfEntry.get(id));
    const settled = new Set<number>();
    let seen = 0;
    const act = async (n: number) => {
      const token = o.tokens[n]!;
      const answer = await call("GET", `/api/drops/${o.dropId}/entries/me`, { "fan-token": token });
      if (answer.status !== 200) {
        if (answer.status === 503) activity.busy += 1;
        else problem(`a fan's status was answered ${answer.status} ${answer.text}`);
        return;
      }
      const status = JSON.parse(answer.text) as FanStatus;
      if (status.status === "paid" || status.status === "lapsed" || status.status === "lost") {
        settled.add(n);
        return;
      }
      if (status.status !== "won" || !status.orderId || !status.orderToken) return;
      settled.add(n);
      run.wins.orderIds.push(status.orderId);
      run.wins.units.push(status.unitNo ?? 0);
      // Every third winner never pays: the hold lapses and the unit is offered to the next in rank.
      if (seen++ % 3 === 2) {
        activity.fates.abandons += 1;
        return;
      }
      activity.fates.pays += 1;
      const paid = await call(
        "POST",
        `/api/orders/${status.orderId}/pay`,
        { authorization: `Bearer ${status.orderToken}` },
        { card: CARD_SUCCEEDS },
      );
      if (paid.status === 200) activity.paidOrderIds.push(status.orderId);
      else if (paid.status === 503) activity.busy += 1;
      else if (paid.status === 409 || paid.status === 410) activity.tooLate += 1;
      else {
        activity.failures += 1;
        if (activity.problems.length < MAX_PROBLEMS)
          activity.problems.push(`pay: HTTP ${paid.status} ${paid.text.slice(0, 160)}`);
      }
    };
    // The run stops when nothing is held and nothing more can be offered; a queue that stops moving for
    // longer than a hold (plus slack) says something is stuck, and the receipt says so.
    // A minute of slack: the fans' own calls wait behind live work in the rehearsal lane.
    const stallMs = o.holdSeconds * 1000 + 60_000;
    let lastChange = performance.now();
    let last = "";
    for (;;) {
      if (signal.aborted) return { ...run, cancelled: true };
      await o.sweep();
      const stats = await look();
      const shape = JSON.stringify(stats);
      if (shape !== last) {
        last = shape;
        lastChange = performance.now();
      }
      if (stats.held === 0 && (stats.paid >= o.quantity || stats.waiting === 0)) break;
      if (performance.now() - lastChange > stallMs) {
        run.stalled = true;
        problem(`the queue stopped moving: ${shape}`);
        break;
      }
      const looking = ranked
        .slice(0, stats.offered)
        .filter((n): n is number => n !== undefined && !settled.has(n));
      await runWorkers(looking.length, FAN_CONCURRENCY, (i) => act(looking[i]!), signal);
      await sleep(POLL_MS, signal);
    }
    progress.phase = "done";
    report();
    return run;
  } catch (error) {
    if (signal.aborted) return { ...run, cancelled: true };
    throw error;
  }
}
