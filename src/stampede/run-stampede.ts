import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import {
  actOutFate,
  type CheckoutActivity,
  emptyActivity,
  fateOfWin,
  StockReturns,
  wonHoldOf,
} from "./checkout-buyers";
import { type DropSnapshot, dropWideUnit, readDrop } from "./drop-api";
import { keepAliveClient, RequestTimedOut } from "./keep-alive-client";
import { LatencyHistogram } from "./latency-histogram";
import { runWorkers } from "./workers";

/** How one purchase attempt ended, as the k6 script (loadtest/stampede.js) counts it. */
export type Outcome =
  | "won"
  | "replay"
  | "sold_out"
  | "not_live"
  | "limit_reached"
  | "busy"
  | "invalid"
  | "error";

export const OUTCOMES: readonly Outcome[] = [
  "won",
  "replay",
  "sold_out",
  "not_live",
  "limit_reached",
  "busy",
  "invalid",
  "error",
];

/** Answers a stampede of new fans with fresh keys on a live drop must never get. */
export const UNEXPECTED_OUTCOMES: readonly Outcome[] = [
  "replay",
  "not_live",
  "limit_reached",
  "invalid",
  "error",
];

export type OutcomeCounts = Record<Outcome, number>;

export interface StampedeProgress {
  outcome: Outcome;
  /** The unit this attempt won, when it won. */
  unitNo: number | undefined;
  /** Running totals; the same object on every call, so copy it to keep it. */
  counts: Readonly<OutcomeCounts>;
  answered: number;
  attempts: number;
}

export interface StampedeOptions {
  baseUrl: string;
  /** Drop id or slug. */
  dropRef: string;
  attempts: number;
  /** Workers, each with one purchase in flight at a time. */
  concurrency: number;
  /** Stops handing out attempts; those in flight finish and are counted, so the run stays auditable. */
  signal?: AbortSignal;
  /** Called after every answer, e.g. to draw a tile per claimed unit. Keep it cheap. */
  onProgress?: (progress: StampedeProgress) => void;
  /** Longest wait for one answer before it counts as an error. Default 30 s. */
  requestTimeoutMs?: number;
  /** Sent with every request, e.g. the Stress Test's rehearsal marker (src/domain/stress-test/rehearsal-marker.ts). */
  headers?: Record<string, string>;
  /**
   * A verified-fans drop: fan n sends `fanTokens[n % length]` as the Fan-Token header (the body's fan is
   * then ignored). Plain strings, so the options still pass to a worker thread.
   */
  fanTokens?: string[] | undefined;
  /**
   * On abort, also cut the purchases in flight instead of waiting for their answers (so a cancel takes
   * effect at once). Their outcome is unknown to the runner: they are counted as `abandoned`, and the
   * receipt allows each one to have committed or not.
   */
  abandonOnAbort?: boolean;
  /**
   * Checkout mode, for a hold drop (see checkout-buyers.ts): every fan who wins a hold acts out a fate
   * (never pays, releases, pays, pays late), and a fan told "sold out" while units may still come back
   * waits and tries again, so an attempt is a fan rather than a single request. The run ends once every
   * fan is done and every fate is played out.
   */
  checkout?: boolean;
  /** Checkout mode: the activity object to fill (the caller may read it while the run goes on). */
  checkoutActivity?: CheckoutActivity;
  /**
   * Spread the attempts evenly over at least this long (ms): attempt n leaves no earlier than
   * n × spreadOverMs / attempts after the start, so a run can be watched (the Stress Test's default pace).
   * At most `concurrency` are still in flight at once. Absent or 0: as fast as the workers go.
   */
  spreadOverMs?: number;
}

export interface StampedeRun {
  baseUrl: string;
  /** The drop as its public stock showed it just before the first attempt. */
  drop: DropSnapshot;
  /** Tags this run's fans (`fan-<runId>-<n>`) and idempotency keys (`<runId>-<n>`). */
  runId: string;
  concurrency: number;
  attemptsPlanned: number;
  /** Attempts actually sent: fewer than planned only when cancelled. */
  attempts: number;
  /** Attempts cut off in flight by a cancel (abandonOnAbort): sent, never answered, outcome unknown. */
  abandoned: number;
  /** Errors that were the client giving up waiting (requestTimeoutMs): the server was overloaded. */
  timeouts: number;
  cancelled: boolean;
  counts: OutcomeCounts;
  latency: { win: LatencyHistogram; rejection: LatencyHistogram; busy: LatencyHistogram };
  /** Every acknowledged (201) order, as parallel arrays. */
  wins: { orderIds: string[]; units: number[] };
  durationMs: number;
  /** Time from the start to the last win: the selling phase, for wins per second. */
  lastWinAtMs: number | null;
  /** The first few unexpected answers, described, to diagnose a failed run. */
  problems: string[];
  /** In checkout mode: what the winners did at checkout, as the API answered them. */
  checkout?: CheckoutActivity;
}

const MAX_PROBLEMS = 5;

export const emptyCounts = (): OutcomeCounts =>
  Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as OutcomeCounts;

interface Answer {
  outcome: Outcome;
  order?: { id: string; unitNo: number; variantId?: string };
  body?: unknown;
}

/** Classifies an HTTP answer exactly like `outcomeOf` in loadtest/stampede.js. */
export function outcomeOf(status: number, body: unknown): Answer {
  const fields = (body ?? {}) as {
    order?: { id?: unknown; unitNo?: unknown; variant?: { id?: unknown } };
    error?: { code?: unknown };
  };
  if (status === 201) {
    const { id, unitNo, variant } = fields.order ?? {};
    const variantId = typeof variant?.id === "string" ? { variantId: variant.id } : {};
    return typeof id === "string" && typeof unitNo === "number"
      ? { outcome: "won", order: { id, unitNo, ...variantId }, body }
      : { outcome: "error" };
  }
  if (status === 200) return { outcome: "replay" };
  if (status === 503) return { outcome: "busy" };
  if (status === 409) {
    const code = fields.error?.code;
    return code === "sold_out" || code === "not_live" || code === "limit_reached"
      ? { outcome: code }
      : { outcome: "invalid" };
  }
  return { outcome: status >= 400 && status < 500 ? "invalid" : "error" };
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Sends `attempts` purchases of one drop, each by a new fan with a new Idempotency-Key, from
 * `concurrency` workers over as many keep-alive connections (node:http, see keep-alive-client.ts). Counts every answer by outcome and
 * keeps latencies in histograms, so 200,000 attempts cost a few megabytes. It checks nothing itself:
 * hand the result with the drop's audit and order list to `buildReceipt`.
 *
 * @example
 * const run = await runStampede({ baseUrl: "http://127.0.0.1:3000", dropRef: drop.id, attempts: 600, concurrency: 50 });
 */
export async function runStampede(options: StampedeOptions): Promise<StampedeRun> {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const headers = options.headers ?? {};
  const drop = await readDrop(baseUrl, options.dropRef, headers);
  const runId = randomBytes(5).toString("hex");
  const path = `/api/drops/${encodeURIComponent(drop.id)}/purchase`;
  // A drop of several sizes: fan n asks for size n mod k, then the next on each retry (ids are uuids:
  // nothing to escape).
  const sizes = (drop.variants ?? []).length > 1 ? drop.variants!.map((v) => `,"variant":"${v.id}"`) : [""];
  const client = keepAliveClient(baseUrl, options.concurrency, options.requestTimeoutMs ?? 30_000);
  const counts = emptyCounts();
  const latency = {
    win: new LatencyHistogram(),
    rejection: new LatencyHistogram(),
    busy: new LatencyHistogram(),
  };
  const wins = { orderIds: [] as string[], units: [] as number[] };
  const problems: string[] = [];
  let answered = 0;
  let abandoned = 0;
  let timeouts = 0;
  let lastWinAtMs: number | null = null;

  const noteProblem = (text: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(text);
  };

  const checkout = options.checkout ? (options.checkoutActivity ?? emptyActivity()) : undefined;
  // Every waiting fan and every fate's pause listens for the cancel: many at once, each removed when done.
  if (checkout && options.signal) setMaxListeners(0, options.signal);
  const returns = new StockReturns();
  const fates: Promise<void>[] = [];

  const startedAt = performance.now();
  /** One purchase request of fan n (its `tries`-th); undefined when a cancel cut it off. */
  const buy = async (n: number, tries: number): Promise<Answer | undefined> => {
    const key = tries === 0 ? `${runId}-${n}` : `${runId}-${n}-${tries}`;
    try {
      // The fan is `fan-<hex>-<n>`: nothing to escape, so the body is written without JSON.stringify.
      // Each retry of a fan told "sold out" (checkout mode) asks for the next size: units come back in any size.
      const size = sizes[(n + tries) % sizes.length];
      const res = await client.postJson(path, `{"fan":"fan-${runId}-${n}"${size}}`, {
        ...headers,
        ...(options.fanTokens?.length
          ? { "fan-token": options.fanTokens[n % options.fanTokens.length]! }
          : {}),
        "idempotency-key": key,
      });
      const answer = outcomeOf(res.status, parsed(res.text));
      if (answer.outcome === "error" || answer.outcome === "invalid" || answer.outcome === "replay") {
        noteProblem(`${answer.outcome}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
      }
      return answer;
    } catch (error) {
      if (options.abandonOnAbort && options.signal?.aborted) return undefined;
      if (error instanceof RequestTimedOut) timeouts += 1;
      noteProblem(`network: ${error instanceof Error ? error.message : String(error)}`);
      return { outcome: "error" };
    }
  };

  const attempt = async (n: number) => {
    let sentAt = performance.now();
    let seen = returns.version;
    let ticket = returns.sending();
    let answer = await buy(n, 0);
    // Checkout mode: "sold out" is only for now while the run's own winners may still give units back.
    for (let tries = 1; checkout && answer?.outcome === "sold_out" && !options.signal?.aborted; tries++) {
      if (!returns.mayComeBack(ticket, seen)) {
        checkout.gaveUp += 1;
        break;
      }
      returns.answered(ticket);
      checkout.retries += 1;
      await returns.wait(options.signal);
      sentAt = performance.now();
      seen = returns.version;
      ticket = returns.sending();
      answer = await buy(n, tries);
    }
    try {
      record(answer, sentAt);
    } finally {
      returns.answered(ticket);
    }
  };

  /** Counts a fan's final answer, and in checkout mode sets a won hold's fate going. */
  const record = (answer: Answer | undefined, sentAt: number) => {
    if (!answer) {
      abandoned += 1;
      return;
    }
    const answeredAt = performance.now();
    const ms = answeredAt - sentAt;
    counts[answer.outcome] += 1;
    answered += 1;
    if (answer.order) {
      if (checkout) {
        const hold = wonHoldOf(answer.body);
        if (hold) {
          const fate = fateOfWin(wins.orderIds.length);
          checkout.fates[fate] += 1;
          fates.push(
            actOutFate(fate, hold, { client, headers, returns, activity: checkout, signal: options.signal }),
          );
        } else noteProblem("a win on a hold drop came without its order token");
      }
      wins.orderIds.push(answer.order.id);
      wins.units.push(dropWideUnit(drop, answer.order.unitNo, answer.order.variantId));
      lastWinAtMs = answeredAt - startedAt;
      latency.win.record(ms);
    } else if (answer.outcome === "busy") latency.busy.record(ms);
    else if (answer.outcome !== "error") latency.rejection.record(ms);
    options.onProgress?.({
      outcome: answer.outcome,
      unitNo: answer.order && dropWideUnit(drop, answer.order.unitNo, answer.order.variantId),
      counts,
      answered,
      attempts: options.attempts,
    });
  };

  const cutInFlight = () => client.close();
  if (options.abandonOnAbort) options.signal?.addEventListener("abort", cutInFlight, { once: true });
  let sent: number;
  try {
    const spacing = options.spreadOverMs ? options.spreadOverMs / options.attempts : 0;
    sent = await runWorkers(
      options.attempts,
      options.concurrency,
      attempt,
      options.signal,
      spacing > 0 ? (n) => startedAt + n * spacing : undefined,
    );
    await Promise.all(fates);
  } finally {
    options.signal?.removeEventListener("abort", cutInFlight);
    client.close();
  }
  return {
    baseUrl,
    drop,
    runId,
    concurrency: options.concurrency,
    attemptsPlanned: options.attempts,
    attempts: sent,
    abandoned,
    timeouts,
    cancelled: sent < options.attempts,
    counts,
    latency,
    wins,
    durationMs: performance.now() - startedAt,
    lastWinAtMs,
    problems,
    ...(checkout ? { checkout } : {}),
  };
}
