import type { CheckoutReceipt } from "../domain/stress-test/checkout-audit";
import { type AuditFigures, type OrderListing, readAllOrders, readAudit } from "./drop-api";
import type { LatencyHistogram } from "./latency-histogram";
import { type OutcomeCounts, type StampedeRun, UNEXPECTED_OUTCOMES } from "./run-stampede";

/**
 * The draw section of a Stress Test receipt (domain/stress-test/draw-audit.ts judges it). Declared here, with
 * the receipt, so the audit can import the receipt without the receipt importing the audit (no cycle).
 */
export interface DrawRehearsalReceipt {
  quantity: number;
  holdSeconds: number;
  fans: number;
  /** Entries in the draw's frozen list (the database), and the 201 answers the fans got. */
  entries: number;
  entriesAcknowledged: number;
  entriesWindowSeconds: number;
  /** Entries offered a unit when the draw ran: the top of the ranking. */
  winners: number;
  /** Every offer made: the winners, then the next in rank as holds lapsed. */
  offersMade: number;
  paid: number;
  lapsed: number;
  /** Entries never offered a unit (they lost once every unit was paid). */
  waiting: number;
  /** Winners the rehearsal let lapse on purpose (a third). */
  neverPaid: number;
  /** Units nobody paid for at the end: the seller's leftovers to open first-come. */
  leftovers: number;
  /** The most units held or paid at one look at the queue; never above the quantity. */
  peakHeldOrPaid: number;
  looks: number;
  /** The draw record checked by verifyDraw (draw:verify's own code): empty when it checks out. */
  drawProblems: string[];
  breaches: string[];
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** What a stampede proved, from the database's own books, beside what the runner itself saw. */
export interface Receipt {
  /** Exactness only: PASS when the database sold exactly what it had and every acknowledged win has its row. */
  verdict: "PASS" | "FAIL";
  /** Every invariant the run broke, in words; empty when it passed. */
  breaches: string[];
  /**
   * Health, apart from exactness: timeouts, errors, many busy answers, unexpected answers, slow p99.
   * A run can be exact and unhealthy ("Exact, but 68 requests timed out"). Absent on receipts stored
   * before it existed.
   */
  warnings?: string[];
  /** Attempts cut off in flight by a cancel; absent on older receipts. */
  abandoned?: number;
  /** Attempts the client stopped waiting for; absent on older receipts. */
  timeouts?: number;
  backend: string;
  baseUrl: string;
  drop: { id: string; slug: string };
  concurrency: number;
  attempts: number;
  attemptsPlanned: number;
  cancelled: boolean;
  durationSeconds: number;
  attemptsPerSecond: number;
  /** Wins over the selling phase (start to last win), the rate a buyer-facing drop actually sells at. */
  winsPerSecond: number;
  // From the database: the audit and the order list.
  quantity: number;
  soldBefore: number;
  sold: number;
  soldThisRun: number;
  remaining: number;
  oversold: number;
  duplicateUnits: number;
  unitsOutOfRange: number;
  orderRows: number;
  // From the runner's own counting.
  counts: OutcomeCounts;
  acknowledgedWins: number;
  acknowledgedWithoutOrderRow: number;
  latencyMs: { win: LatencySummary; rejection: LatencySummary; busy: LatencySummary };
  problems: string[];
  /** A checkout rehearsal's figures (a hold drop's run); absent on instant drops and older receipts. */
  checkout?: CheckoutReceipt;
  /** A draw rehearsal's figures (a draw drop's run: entries, offers, the record verified); absent otherwise. */
  draw?: DrawRehearsalReceipt;
}

const summary = (h: LatencyHistogram): LatencySummary => ({
  count: h.count,
  p50: h.percentile(0.5),
  p99: h.percentile(0.99),
  max: h.max,
});

/** Busy answers above this share of the attempts are worth a warning (contention beyond the retry budget). */
const BUSY_WARNING_SHARE = 0.01;
/** A p99 above this is slow enough to tell the seller (milliseconds). */
const SLOW_P99_MS = 1000;

const plural = (n: number, one: string, many: string) =>
  `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/**
 * What went wrong with the run's health without touching exactness: answers that never came, many busy
 * answers, answers a fresh fan should never get, a slow p99. Each a sentence for the receipt.
 */
function healthWarnings(run: StampedeRun): string[] {
  const { counts } = run;
  const warnings: string[] = [];
  const timeouts = run.timeouts ?? 0;
  if (timeouts > 0) warnings.push(`${plural(timeouts, "request", "requests")} timed out (server overloaded)`);
  const failed = counts.error - timeouts;
  if (failed > 0) warnings.push(`${plural(failed, "request", "requests")} failed without an answer`);
  if (counts.busy > run.attempts * BUSY_WARNING_SHARE) {
    const share = ((100 * counts.busy) / Math.max(1, run.attempts)).toFixed(1);
    warnings.push(
      `${plural(counts.busy, "answer was", "answers were")} busy (${share} %): contention beyond the retry budget`,
    );
  }
  for (const outcome of UNEXPECTED_OUTCOMES) {
    if (outcome !== "error" && counts[outcome] > 0) {
      warnings.push(`${plural(counts[outcome], "answer was", "answers were")} ${outcome.replace("_", " ")}`);
    }
  }
  for (const [what, histogram] of [
    ["win", run.latency.win],
    ["rejection", run.latency.rejection],
  ] as const) {
    const p99 = histogram.percentile(0.99);
    if (p99 !== null && p99 > SLOW_P99_MS) warnings.push(`${what} p99 latency ${Math.round(p99)} ms (slow)`);
  }
  return warnings;
}

/**
 * The receipt's headline in words: exactness first, then health.
 * @example headlineOf(receipt) // "Exact — but 68 requests timed out (server overloaded)"
 */
export function headlineOf(r: Pick<Receipt, "verdict" | "breaches" | "warnings">): string {
  if (r.verdict === "FAIL") return `Not exact: ${r.breaches[0] ?? "an invariant was broken"}`;
  const warnings = r.warnings ?? [];
  return warnings.length === 0 ? "Exact and healthy" : `Exact — but ${warnings.join("; ")}`;
}

/** How many values occur more than once, and how many fall outside 1..max. */
function unitFaults(units: readonly number[], max: number): { duplicates: number; outOfRange: number } {
  const seen = new Uint8Array(max + 1);
  let duplicates = 0;
  let outOfRange = 0;
  for (const unit of units) {
    if (!Number.isInteger(unit) || unit < 1 || unit > max) outOfRange++;
    else if (seen[unit]! === 1) {
      duplicates++;
      seen[unit] = 2;
    } else if (seen[unit]! === 0) seen[unit] = 1;
  }
  return { duplicates, outOfRange };
}

/**
 * Judges a run by the drop's audit and full order list, read after the run. The rules, for a run that is
 * the only buyer of the drop while it lasts (fans and keys are all new, so every answer is a win, sold out
 * or busy; anything else is itself a breach):
 * - the audit: oversold 0, no unit sold twice, every unit in 1..quantity, remaining = quantity − sold;
 * - the order list: exactly `sold` rows, distinct ids, the same unit checks;
 * - every acknowledged win (201) has its order row with the same unit, and wins = rows added by this run;
 * - completeness: rows added = min(units left at start, attempts − busy). Each non-busy answer is a win or
 *   a sold out, and sold out is only true once stock is 0, so either every unit left was sold or every
 *   non-busy attempt won. Busy answers may legitimately leave units unsold, never more than there were busy
 *   answers; and "sold out" while the audit still shows stock is a breach of its own.
 * @example const receipt = buildReceipt(run, await readAudit(...), await readAllOrders(...), { backend: "pglite" });
 */
export function buildReceipt(
  run: StampedeRun,
  audit: AuditFigures,
  orders: OrderListing,
  context: { backend?: string; checkout?: CheckoutReceipt } = {},
): Receipt {
  const { checkout } = context;
  const breaches: string[] = [];
  const { counts } = run;
  const quantity = audit.quantity;
  const soldBefore = run.drop.quantity - run.drop.remaining;
  const soldThisRun = audit.sold - soldBefore;
  const wins = run.wins.orderIds.length;

  if (audit.quantity !== run.drop.quantity) {
    breaches.push(`the audit says quantity ${audit.quantity}, the drop said ${run.drop.quantity}`);
  }
  if (audit.oversold > 0 || audit.sold > quantity) {
    breaches.push(
      `oversold by ${Math.max(audit.oversold, audit.sold - quantity)} (sold ${audit.sold} of ${quantity})`,
    );
  }
  if (audit.duplicateUnits > 0) breaches.push(`${audit.duplicateUnits} units sold more than once (audit)`);
  if (audit.unitsOutOfRange > 0)
    breaches.push(`${audit.unitsOutOfRange} unit numbers outside 1..${quantity} (audit)`);
  if (audit.remaining !== quantity - audit.sold) {
    breaches.push(
      `stock rows show ${audit.remaining} left, but ${quantity} − ${audit.sold} sold = ${quantity - audit.sold}`,
    );
  }

  if (orders.orderIds.length !== audit.sold) {
    breaches.push(`the order list has ${orders.orderIds.length} rows, the audit counts ${audit.sold}`);
  }
  const listed = new Map<string, number>();
  orders.orderIds.forEach((id, i) => {
    listed.set(id, orders.units[i]!);
  });
  if (listed.size !== orders.orderIds.length) {
    breaches.push(`the order list repeats ${orders.orderIds.length - listed.size} order ids`);
  }
  const listedFaults = unitFaults(orders.units, quantity);
  if (listedFaults.duplicates > 0)
    breaches.push(`${listedFaults.duplicates} units appear on more than one order`);
  if (listedFaults.outOfRange > 0)
    breaches.push(`${listedFaults.outOfRange} orders carry a unit outside 1..${quantity}`);

  // On a hold drop a won hold may have ended (expired, released) and left the orders table: the checkout
  // audit checks every win against every claim, and judges completeness by paid units instead.
  let withoutRow = checkout?.acknowledgedWithoutRecord ?? 0;
  if (!checkout) {
    run.wins.orderIds.forEach((id, i) => {
      if (listed.get(id) !== run.wins.units[i]) withoutRow++;
    });
  }
  if (withoutRow > 0 && !checkout)
    breaches.push(`${withoutRow} acknowledged wins have no order row with their unit`);
  if (new Set(run.wins.orderIds).size !== wins) breaches.push("the same order id was acknowledged twice");
  const wonFaults = unitFaults(run.wins.units, quantity);
  if (wonFaults.outOfRange > 0)
    breaches.push(`${wonFaults.outOfRange} acknowledged units outside 1..${quantity}`);
  const unknown = counts.error + (run.abandoned ?? 0);
  if (checkout) breaches.push(...checkout.breaches);
  else instantCompleteness(run, audit, soldThisRun, unknown, wonFaults.duplicates, breaches);

  const durationSeconds = run.durationMs / 1000;
  return {
    verdict: breaches.length === 0 ? "PASS" : "FAIL",
    breaches,
    warnings: [...healthWarnings(run), ...(checkout?.warnings ?? [])],
    abandoned: run.abandoned ?? 0,
    timeouts: run.timeouts ?? 0,
    backend: context.backend ?? "unknown",
    baseUrl: run.baseUrl,
    drop: { id: run.drop.id, slug: run.drop.slug },
    concurrency: run.concurrency,
    attempts: run.attempts,
    attemptsPlanned: run.attemptsPlanned,
    cancelled: run.cancelled,
    durationSeconds,
    attemptsPerSecond: durationSeconds > 0 ? run.attempts / durationSeconds : 0,
    winsPerSecond: run.lastWinAtMs ? wins / (run.lastWinAtMs / 1000) : 0,
    quantity,
    soldBefore,
    sold: audit.sold,
    soldThisRun,
    remaining: audit.remaining,
    oversold: audit.oversold,
    duplicateUnits: audit.duplicateUnits,
    unitsOutOfRange: audit.unitsOutOfRange,
    orderRows: orders.orderIds.length,
    counts: { ...counts },
    acknowledgedWins: wins,
    acknowledgedWithoutOrderRow: withoutRow,
    latencyMs: {
      win: summary(run.latency.win),
      rejection: summary(run.latency.rejection),
      busy: summary(run.latency.busy),
    },
    problems: [...run.problems, ...(run.checkout?.problems ?? [])],
    ...(checkout ? { checkout } : {}),
  };
}

/**
 * An instant drop's completeness: every win is one new order row, and the rows added are what the
 * attempts could buy. (A unit acknowledged to two fans is a breach here; on a hold drop it is a unit
 * that came back and was won again.)
 */
function instantCompleteness(
  run: StampedeRun,
  audit: AuditFigures,
  soldThisRun: number,
  unknown: number,
  wonDuplicates: number,
  breaches: string[],
): void {
  const { counts } = run;
  const wins = run.wins.orderIds.length;
  if (wonDuplicates > 0) breaches.push(`${wonDuplicates} units were acknowledged to two fans`);
  // An attempt whose answer never arrived (a timeout, a cut connection) may have committed: only those
  // may leave an order row nobody was told about.
  if (wins > soldThisRun || soldThisRun - wins > unknown) {
    breaches.push(
      unknown === 0
        ? `${wins} acknowledged wins, but ${soldThisRun} order rows were added during the run`
        : `${wins} acknowledged wins and ${unknown} unanswered attempts, but ${soldThisRun} order rows were added during the run`,
    );
  }

  const definitive = run.attempts - counts.busy - unknown;
  const fewest = Math.min(run.drop.remaining, definitive);
  const most = Math.min(run.drop.remaining, run.attempts - counts.busy);
  if (soldThisRun < fewest || soldThisRun > most) {
    breaches.push(
      unknown === 0
        ? `${run.attempts} attempts with ${counts.busy} busy for ${run.drop.remaining} units left should sell ${fewest}, sold ${soldThisRun}`
        : `${run.attempts} attempts with ${counts.busy} busy and ${unknown} unanswered for ${run.drop.remaining} units left should sell ${fewest} to ${most}, sold ${soldThisRun}`,
    );
  }
  if (counts.sold_out > 0 && audit.remaining > 0) {
    breaches.push(`"sold out" answered ${counts.sold_out} times while ${audit.remaining} units remain`);
  }
}

const ms = (value: number | null) => (value === null ? "n/a" : `${value.toFixed(1)} ms`);

/** A checkout rehearsal's lines of the text receipt. */
function checkoutLines(k: CheckoutReceipt): string[] {
  const f = k.fates;
  return [
    `  checkout        hold ${k.holdSeconds} s; holds won ${f.abandons + f.releases + f.pays + f.pays_late}: ${f.abandons} left to expire, ${f.releases} released, ${f.pays} paid, ${f.pays_late} paid late`,
    `  holds           paid ${k.paid} of ${k.quantity}, held ${k.held}, expired ${k.expired}, released ${k.released}, refunded ${k.refunded}, in stock ${k.stock}, units won again ${k.resoldUnits}`,
    `  fans            waited out ${k.answered.retries} "sold out" answers, ${k.answered.gaveUp} stopped at sold out, ${k.answered.tooLate} acted after their hold ran out, ${k.answered.busy} checkout calls busy, ${k.answered.failures} answered unexpectedly`,
    `  checkout checks paid units twice ${k.paidUnitsDuplicated}, out of range ${k.paidUnitsOutOfRange}, fans over the limit ${k.fansOverLimit}, double payments ${k.doublePayments}, paid without payment ${k.paidWithoutPayment}, late payments kept ${k.unrefundedLatePayments}`,
  ];
}

/** A draw rehearsal's lines of the text receipt. */
function drawLines(d: DrawRehearsalReceipt): string[] {
  return [
    `  draw            ${d.entries} entries (${d.entriesAcknowledged} acknowledged) in ${d.entriesWindowSeconds} s; ${d.winners} winners, ${d.offersMade} offers made, ${d.paid} paid, ${d.lapsed} lapsed (${d.neverPaid} never paid), ${d.leftovers} unsold`,
    `  draw checks     most held or paid at once ${d.peakHeldOrPaid} of ${d.quantity} (${d.looks} looks); record ${d.drawProblems.length === 0 ? "verifies" : `does not verify: ${d.drawProblems.join("; ")}`}`,
  ];
}

/** The receipt as the text both `npm run stampede` and the k6 script print. */
export function formatReceipt(r: Receipt): string {
  const c = r.counts;
  const lines = [
    "",
    `Dropfront stampede receipt: ${r.verdict}`,
    `  target          ${r.baseUrl}, drop ${r.drop.slug}, backend ${r.backend}`,
    `  attempts        ${r.attempts}${r.cancelled ? ` of ${r.attemptsPlanned} (cancelled)` : ""} by ${r.concurrency} workers in ${r.durationSeconds.toFixed(1)} s (${r.attemptsPerSecond.toFixed(1)}/s; ${r.winsPerSecond.toFixed(1)} wins/s while selling)`,
    `  stock           quantity ${r.quantity}, sold ${r.sold} (this run ${r.soldThisRun}), remaining ${r.remaining}`,
    `  invariants      oversold ${r.oversold}, duplicate units ${r.duplicateUnits}, units out of range ${r.unitsOutOfRange}`,
    `  acknowledged    ${r.acknowledgedWins} wins for ${r.soldThisRun} units sold this run, ${r.orderRows} order rows listed, ${r.acknowledgedWithoutOrderRow} wins without a row`,
    `  outcomes        won ${c.won}, sold out ${c.sold_out}, busy ${c.busy}, errors ${c.error}`,
    `  unexpected      replay ${c.replay}, not live ${c.not_live}, limit reached ${c.limit_reached}, invalid ${c.invalid}`,
    `  win latency     p50 ${ms(r.latencyMs.win.p50)}, p99 ${ms(r.latencyMs.win.p99)}`,
    `  reject latency  p50 ${ms(r.latencyMs.rejection.p50)}, p99 ${ms(r.latencyMs.rejection.p99)}`,
    `  busy latency    p50 ${ms(r.latencyMs.busy.p50)}, p99 ${ms(r.latencyMs.busy.p99)}`,
    ...(r.draw ? drawLines(r.draw) : []),
    ...(r.checkout ? checkoutLines(r.checkout) : []),
    `  headline        ${headlineOf(r)}`,
    `  breaches        ${r.breaches.length === 0 ? "none" : ""}`,
    ...r.breaches.map((breach) => `    - ${breach}`),
    ...(r.problems.length > 0 ? ["  first problems", ...r.problems.map((p) => `    - ${p}`)] : []),
    "",
  ];
  return lines.join("\n");
}

/**
 * Reads the drop's audit and every order with the owner's key, then builds the receipt.
 * @example const receipt = await auditStampede(run, apiKey, { backend: "postgres" });
 */
export async function auditStampede(
  run: StampedeRun,
  apiKey: string,
  context: { backend?: string } = {},
): Promise<Receipt> {
  const audit = await readAudit(run.baseUrl, run.drop.id, apiKey);
  const orders = await readAllOrders(run.baseUrl, run.drop.id, apiKey, run.drop);
  return buildReceipt(run, audit, orders, context);
}
