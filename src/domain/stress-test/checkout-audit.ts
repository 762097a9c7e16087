/**
 * The checkout audit of a Stress Test on a hold drop (issue 8): judges the rehearsal drop's books (every
 * claim of a unit, and the stock, read from the database) and the rehearsal payment ledger, next to what
 * the run's fans were answered. Pure, so a doctored row set shows that each check can fail.
 */
import type { CheckoutBooks, ClaimRow } from "../../repository/stress-test/checkout-audit";
import type { CheckoutActivity, Fate } from "../../stampede/checkout-buyers";
import type { LedgerEntry } from "../checkout/payments";

/** The checkout section of a Stress Test receipt. */
export interface CheckoutReceipt {
  holdSeconds: number;
  quantity: number;
  /** Every claim of a unit during the run: held, paid, and ended holds. */
  claims: number;
  /** Still held when the books were read (the run waits for every hold to end first, so 0). */
  held: number;
  paid: number;
  expired: number;
  released: number;
  refunded: number;
  stock: number;
  /** Units claimed more than once: they came back (expiry, release, refund) and were won again. */
  resoldUnits: number;
  paidUnitsDuplicated: number;
  paidUnitsOutOfRange: number;
  fansOverLimit: number;
  /** Orders paid by more than one kept payment, or payments paying more than one order. */
  doublePayments: number;
  /** Paid orders without a kept payment of their own. */
  paidWithoutPayment: number;
  /** Payments kept for an order that is not paid by them: a late payment nobody refunded. */
  unrefundedLatePayments: number;
  /** Whether the payment ledger was there to check the money side against (the rehearsal provider's). */
  ledgerChecked: boolean;
  fates: Record<Fate, number>;
  /** What the fans were answered: payments paid and refunded, holds acted on too late, releases, waits. */
  answered: {
    paid: number;
    refunded: number;
    /** Holds that ran out before their fan paid or released them (no money moved). */
    tooLate: number;
    released: number;
    retries: number;
    gaveUp: number;
    /** Payments and releases answered "busy". */
    busy: number;
    failures: number;
  };
  /** Acknowledged wins, payments, refunds and releases the books do not show as such. */
  acknowledgedWithoutRecord: number;
  breaches: string[];
  warnings: string[];
}

/** What the run saw, besides the books: its wins and checkout answers, and what it cannot know. */
export interface CheckoutRunFacts {
  wins: { orderIds: string[]; units: number[] };
  activity: CheckoutActivity | undefined;
  cancelled: boolean;
  /** Attempts whose answer never came (errors, cut off by a cancel): they may have claimed a unit. */
  unanswered: number;
  attempts: number;
}

const number = (n: number) => n.toLocaleString("en-US");
const plural = (n: number, one: string, many: string) => `${number(n)} ${n === 1 ? one : many}`;

function countBy<T>(items: readonly T[], key: (item: T) => string | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

const over = (counts: Map<string, number>, limit: number) =>
  [...counts.values()].filter((count) => count > limit).length;

function paidUnitFaults(paid: readonly ClaimRow[], quantity: number) {
  const inRange = paid.filter((c) => Number.isInteger(c.unitNo) && c.unitNo >= 1 && c.unitNo <= quantity);
  return {
    outOfRange: paid.length - inRange.length,
    duplicated: over(
      countBy(inRange, (c) => String(c.unitNo)),
      1,
    ),
  };
}

/** The money side: double payments, paid orders without their payment, late payments kept. */
function moneyFaults(claims: readonly ClaimRow[], ledger: readonly LedgerEntry[] | undefined) {
  const paid = claims.filter((c) => c.status === "paid");
  const paidRefs = countBy(paid, (c) => c.paymentRef ?? undefined);
  let doublePayments = over(paidRefs, 1);
  let paidWithoutPayment = paid.filter((c) => c.paymentRef === null).length;
  // An ended hold carrying a payment that is not marked refunded: money recorded and never given back.
  let unrefunded = claims.filter(
    (c) => c.paymentRef !== null && (c.status === "expired" || c.status === "released"),
  ).length;
  if (ledger) {
    const kept = ledger.filter((p) => p.kept);
    doublePayments += over(
      countBy(kept, (p) => p.orderId),
      1,
    );
    const keptIds = new Map(kept.map((p) => [p.id, p.orderId]));
    paidWithoutPayment += paid.filter(
      (c) => c.paymentRef !== null && keptIds.get(c.paymentRef) !== c.orderId,
    ).length;
    const paying = new Set(paid.map((c) => `${c.orderId} ${c.paymentRef}`));
    unrefunded = kept.filter((p) => !paying.has(`${p.orderId} ${p.id}`)).length;
  }
  return { doublePayments, paidWithoutPayment, unrefunded };
}

/** Acknowledged answers the books do not bear out: wins without their claim, paid/refunded/released not so. */
function unrecorded(claims: readonly ClaimRow[], facts: CheckoutRunFacts): number {
  const byId = new Map(claims.map((c) => [c.orderId, c]));
  let missing = 0;
  facts.wins.orderIds.forEach((id, i) => {
    if (byId.get(id)?.unitNo !== facts.wins.units[i]) missing++;
  });
  const activity = facts.activity;
  if (!activity) return missing;
  const expect = (ids: readonly string[], status: ClaimRow["status"]) => {
    for (const id of ids) if (byId.get(id)?.status !== status) missing++;
  };
  expect(activity.paidOrderIds, "paid");
  expect(activity.refundedOrderIds, "refunded");
  expect(activity.releasedOrderIds, "released");
  return missing;
}

/**
 * Judges a checkout rehearsal. Breaches (the verdict fails): paid above the stock; held + paid + in stock
 * not the quantity; holds still held after the run; a paid unit twice or outside 1..N; a fan over the
 * limit; a double payment; a paid order without its payment; a late payment kept; an acknowledged win,
 * payment, refund or release the books do not show; claims that no fan won; and fewer than N paid when
 * fans were told "sold out" with nothing left to come back. Fewer than N paid because the fans ran out is
 * "demand permitting": a warning, not a breach.
 * @example judgeCheckout(await repo.readCheckoutBooks(db, id), ledger, facts).breaches // []
 */
export function judgeCheckout(
  books: CheckoutBooks,
  ledger: readonly LedgerEntry[] | undefined,
  facts: CheckoutRunFacts,
): CheckoutReceipt {
  const { claims, quantity } = books;
  const byStatus = (status: ClaimRow["status"]) => claims.filter((c) => c.status === status);
  const paidClaims = byStatus("paid");
  const paid = paidClaims.length;
  const held = byStatus("held").length;
  const units = paidUnitFaults(paidClaims, quantity);
  const active = claims.filter((c) => c.status === "held" || c.status === "paid");
  const fansOverLimit = over(
    countBy(active, (c) => c.fan),
    books.maxPerFan,
  );
  const money = moneyFaults(claims, ledger);
  const activity = facts.activity;
  const acknowledgedWithoutRecord = unrecorded(claims, facts);
  const wins = facts.wins.orderIds.length;
  const breaches: string[] = [];
  const warnings: string[] = [];

  if (paid > quantity) breaches.push(`paid ${number(paid)} of ${number(quantity)}: oversold`);
  if (held + paid + books.stock !== quantity) {
    breaches.push(
      `${number(held)} held + ${number(paid)} paid + ${number(books.stock)} in stock is not the ${number(quantity)} units`,
    );
  }
  const lapsed = claims.filter((c) => c.lapsed).length;
  if (held > 0) {
    breaches.push(
      `${plural(held, "hold was", "holds were")} still held after the run${lapsed > 0 ? ` (${number(lapsed)} past expiry, never swept)` : ""}`,
    );
  }
  if (units.duplicated > 0)
    breaches.push(`${plural(units.duplicated, "unit is", "units are")} on more than one paid order`);
  if (units.outOfRange > 0)
    breaches.push(
      `${plural(units.outOfRange, "paid order carries", "paid orders carry")} a unit outside 1..${quantity}`,
    );
  if (fansOverLimit > 0)
    breaches.push(
      `${plural(fansOverLimit, "fan holds", "fans hold")} more than ${plural(books.maxPerFan, "unit", "units")}`,
    );
  if (money.doublePayments > 0)
    breaches.push(`${plural(money.doublePayments, "double payment", "double payments")}`);
  if (money.paidWithoutPayment > 0)
    breaches.push(
      `${plural(money.paidWithoutPayment, "paid order has", "paid orders have")} no kept payment of its own`,
    );
  if (money.unrefunded > 0)
    breaches.push(`${plural(money.unrefunded, "late payment was", "late payments were")} kept, not refunded`);
  if (acknowledgedWithoutRecord > 0) {
    breaches.push(
      `${plural(acknowledgedWithoutRecord, "acknowledged answer has", "acknowledged answers have")} no matching record (win, payment, refund or release)`,
    );
  }
  if (claims.length < wins || claims.length > wins + facts.unanswered) {
    breaches.push(`${number(wins)} holds were won, but the books hold ${number(claims.length)} claims`);
  }
  const gaveUp = activity?.gaveUp ?? 0;
  const tooLate = activity?.tooLate ?? 0;
  // One hold in ten running out before its fan acted says the answers are slower than the hold.
  const slowerThanHold = tooLate > 0 && tooLate * 10 >= wins;
  if (paid < quantity && !facts.cancelled) {
    const short = `paid ${number(paid)} of ${number(quantity)}`;
    if (gaveUp > 0 && facts.unanswered === 0) {
      breaches.push(
        `${short}, yet ${plural(gaveUp, "fan was", "fans were")} told "sold out" with nothing left to come back`,
      );
    } else {
      warnings.push(
        slowerThanHold
          ? `${short}: the ${number(facts.attempts)} fans ran out first, many of their holds running out before they could pay`
          : `${short}: the ${number(facts.attempts)} fans ran out first (give the Stress Test more attempts)`,
      );
    }
  }
  if (slowerThanHold) {
    warnings.push(
      `${plural(tooLate, "hold", "holds")} of ${number(wins)} ran out before the fan could pay or release (answers slower than the ${books.holdSeconds} s hold; try fewer at the same time)`,
    );
  }
  if (activity && activity.busy > 0) {
    warnings.push(
      `${plural(activity.busy, "payment or release was", "payments or releases were")} answered busy`,
    );
  }
  if (activity && activity.failures > 0) {
    warnings.push(
      `${plural(activity.failures, "checkout call was", "checkout calls were")} answered unexpectedly`,
    );
  }
  if (!ledger)
    warnings.push("the payment ledger was not available: payments checked from the database alone");

  return {
    holdSeconds: books.holdSeconds,
    quantity,
    claims: claims.length,
    held,
    paid,
    expired: byStatus("expired").length,
    released: byStatus("released").length,
    refunded: byStatus("refunded").length,
    stock: books.stock,
    resoldUnits: over(
      countBy(claims, (c) => String(c.unitNo)),
      1,
    ),
    paidUnitsDuplicated: units.duplicated,
    paidUnitsOutOfRange: units.outOfRange,
    fansOverLimit,
    doublePayments: money.doublePayments,
    paidWithoutPayment: money.paidWithoutPayment,
    unrefundedLatePayments: money.unrefunded,
    ledgerChecked: ledger !== undefined,
    fates: activity?.fates ?? { abandons: 0, releases: 0, pays: 0, pays_late: 0 },
    answered: {
      paid: activity?.paidOrderIds.length ?? 0,
      refunded: activity?.refundedOrderIds.length ?? 0,
      tooLate: activity?.tooLate ?? 0,
      released: activity?.releasedOrderIds.length ?? 0,
      retries: activity?.retries ?? 0,
      gaveUp,
      busy: activity?.busy ?? 0,
      failures: activity?.failures ?? 0,
    },
    acknowledgedWithoutRecord,
    breaches,
    warnings,
  };
}
