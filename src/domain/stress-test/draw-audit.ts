/**
 * The receipt of a draw rehearsal: the rehearsal's queue and books read from the database, the checkout
 * audit of its holds and payments (checkout-audit.ts), the draw record verified by the same code
 * `npm run draw:verify` runs, and the fans' own view. Pure, so a doctored figure shows each check can fail.
 */
import type { QueueStats } from "../../repository";
import type { DrawRehearsalReceipt, Receipt } from "../../stampede/receipt";
import { emptyCounts } from "../../stampede/run-stampede";
import type { CheckoutReceipt } from "./checkout-audit";
import type { DrawFansRun } from "./draw-rehearsal";

export type { DrawRehearsalReceipt };

const number = (n: number) => n.toLocaleString("en-US");

/**
 * Judges a draw rehearsal. Breaches: more held-or-paid than units at any look; the record not verifying;
 * an acknowledged entry missing from the frozen list (or the list larger than the entries); an offer to
 * more entries than there are; paid + in stock + held not the quantity (the checkout audit's own check).
 * @example judgeDraw(fans, await repo.queueStats(db, id), problems, checkout).breaches // []
 */
export function judgeDraw(
  fans: DrawFansRun,
  stats: QueueStats,
  drawProblems: readonly string[],
  checkout: Pick<CheckoutReceipt, "quantity" | "holdSeconds" | "paid" | "stock">,
): DrawRehearsalReceipt {
  const breaches: string[] = [];
  const { quantity } = checkout;
  if (fans.peakHeldOrPaid > quantity) {
    breaches.push(`${number(fans.peakHeldOrPaid)} units were held or paid at once, of ${number(quantity)}`);
  }
  if (!fans.cancelled) {
    for (const problem of drawProblems) breaches.push(`the draw record does not verify: ${problem}`);
    if (stats.entries !== fans.entered) {
      breaches.push(
        `${number(fans.entered)} entries were acknowledged, the draw froze ${number(stats.entries)}`,
      );
    }
  }
  if (stats.offered > stats.entries) {
    breaches.push(`${number(stats.offered)} offers for ${number(stats.entries)} entries`);
  }
  if (!fans.cancelled && stats.held > 0) {
    breaches.push(`${number(stats.held)} offers were still held when the queue was counted`);
  }
  if (!fans.cancelled && stats.waiting > 0 && checkout.stock > 0 && stats.paid < quantity) {
    breaches.push(
      `${number(checkout.stock)} units were left free while ${number(stats.waiting)} entries still waited`,
    );
  }
  if (stats.paid !== checkout.paid) {
    breaches.push(`the queue counts ${number(stats.paid)} paid, the books ${number(checkout.paid)}`);
  }
  return {
    quantity,
    holdSeconds: checkout.holdSeconds,
    fans: fans.fans,
    entries: stats.entries,
    entriesAcknowledged: fans.entered,
    entriesWindowSeconds: Math.round(fans.entriesWindowMs / 100) / 10,
    winners: fans.winnersAtDraw,
    offersMade: stats.offered,
    paid: stats.paid,
    lapsed: stats.lapsed,
    waiting: stats.waiting,
    neverPaid: fans.activity.fates.abandons,
    leftovers: checkout.stock,
    peakHeldOrPaid: fans.peakHeldOrPaid,
    looks: fans.looks,
    drawProblems: [...drawProblems],
    breaches,
  };
}

const noLatency = { count: 0, p50: null, p99: null, max: null };

/**
 * The Stress Test receipt of a draw rehearsal: the draw and checkout sections carry the figures; the race
 * fields a first-come run fills (answers, latencies) stay empty, as no fan raced for a unit.
 */
export function drawReceipt(context: {
  draw: DrawRehearsalReceipt;
  checkout: CheckoutReceipt;
  fans: DrawFansRun;
  backend: string;
  baseUrl: string;
  drop: { id: string; slug: string };
  concurrency: number;
  durationSeconds: number;
}): Receipt {
  const { draw, checkout, fans } = context;
  const breaches = [...draw.breaches, ...checkout.breaches];
  const warnings = [...checkout.warnings];
  if (fans.stalled) warnings.push("the draw's queue stopped moving before every offer settled");
  if (fans.activity.fates.abandons + fans.activity.fates.pays < draw.offersMade && !fans.cancelled) {
    const unseen = draw.offersMade - fans.activity.fates.abandons - fans.activity.fates.pays;
    warnings.push(`${number(unseen)} offers lapsed before their fan looked`);
  }
  return {
    verdict: breaches.length === 0 ? "PASS" : "FAIL",
    breaches,
    warnings,
    abandoned: 0,
    timeouts: 0,
    backend: context.backend,
    baseUrl: context.baseUrl,
    drop: context.drop,
    concurrency: context.concurrency,
    attempts: fans.entered,
    attemptsPlanned: fans.fans,
    cancelled: fans.cancelled,
    durationSeconds: context.durationSeconds,
    attemptsPerSecond: 0,
    winsPerSecond: 0,
    quantity: checkout.quantity,
    soldBefore: 0,
    sold: checkout.paid,
    soldThisRun: checkout.paid,
    remaining: checkout.stock,
    oversold: Math.max(0, checkout.paid - checkout.quantity),
    duplicateUnits: checkout.paidUnitsDuplicated,
    unitsOutOfRange: checkout.paidUnitsOutOfRange,
    orderRows: checkout.paid + checkout.held,
    counts: emptyCounts(),
    acknowledgedWins: fans.wins.orderIds.length,
    acknowledgedWithoutOrderRow: checkout.acknowledgedWithoutRecord,
    latencyMs: { win: noLatency, rejection: noLatency, busy: noLatency },
    problems: [...fans.problems, ...fans.activity.problems],
    checkout,
    draw,
  };
}
