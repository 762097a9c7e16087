import { describe, expect, test } from "vitest";
import type { LedgerEntry } from "../src/domain/checkout/payments";
import { type CheckoutRunFacts, judgeCheckout } from "../src/domain/stress-test/checkout-audit";
import type { StressTest } from "../src/domain/stress-test/stress-test";
import type { CheckoutBooks, ClaimRow } from "../src/repository/stress-test/checkout-audit";
import { buildReceipt, emptyCounts, LatencyHistogram, type StampedeRun } from "../src/stampede";
import { emptyActivity, fateOfWin, StockReturns } from "../src/stampede/checkout-buyers";
import { StressReceipt, TileReplaySection } from "../views/seller/stress-run";

/**
 * The checkout audit judged on row sets written by hand: a clean one passes, and each doctored one
 * (a unit paid twice, a fan over the limit, money taken twice or kept late, a hold never swept, ...)
 * fails with its own breach, so every check of the receipt is shown to be able to fail.
 */
const claim = (
  orderId: string,
  unitNo: number,
  fan: string,
  status: ClaimRow["status"],
  paymentRef: string | null = null,
): ClaimRow => ({
  orderId,
  unitNo,
  fan,
  status,
  lapsed: false,
  paymentRef,
});

/** Three units: each was first held by a fan who let it expire, released it or paid too late, then paid. */
function cleanBooks(): { books: CheckoutBooks; ledger: LedgerEntry[]; facts: CheckoutRunFacts } {
  const claims = [
    claim("o4", 1, "fan-d", "expired"),
    claim("o5", 2, "fan-e", "released"),
    claim("o6", 3, "fan-f", "refunded", "pay_6"),
    claim("o1", 1, "fan-a", "paid", "pay_1"),
    claim("o2", 2, "fan-b", "paid", "pay_2"),
    claim("o3", 3, "fan-c", "paid", "pay_3"),
  ];
  const activity = emptyActivity();
  activity.fates = { abandons: 1, releases: 1, pays: 3, pays_late: 1 };
  activity.paidOrderIds = ["o1", "o2", "o3"];
  activity.refundedOrderIds = ["o6"];
  activity.releasedOrderIds = ["o5"];
  activity.gaveUp = 2;
  return {
    books: { quantity: 3, maxPerFan: 1, holdSeconds: 3, stock: 0, claims },
    ledger: [
      { id: "pay_1", orderId: "o1", kept: true },
      { id: "pay_2", orderId: "o2", kept: true },
      { id: "pay_3", orderId: "o3", kept: true },
      { id: "pay_6", orderId: "o6", kept: false },
    ],
    facts: {
      wins: { orderIds: ["o4", "o5", "o6", "o1", "o2", "o3"], units: [1, 2, 3, 1, 2, 3] },
      activity,
      cancelled: false,
      unanswered: 0,
      attempts: 8,
    },
  };
}

/** The last payer's hold expired instead: one unit back in stock, paid 2 of 3. */
function lastPayerNeverPaid({ books, ledger, facts }: ReturnType<typeof cleanBooks>): void {
  books.claims[5] = claim("o3", 3, "fan-c", "expired");
  books.stock = 1;
  ledger.splice(2, 1);
  facts.activity!.paidOrderIds.pop();
}

describe("judgeCheckout", () => {
  test("clean books pass, with the figures counted from the rows", () => {
    const { books, ledger, facts } = cleanBooks();
    const c = judgeCheckout(books, ledger, facts);
    expect(c.breaches).toEqual([]);
    expect(c.warnings).toEqual([]);
    expect(c).toMatchObject({
      claims: 6,
      held: 0,
      paid: 3,
      expired: 1,
      released: 1,
      refunded: 1,
      stock: 0,
      resoldUnits: 3,
      fansOverLimit: 0,
      doublePayments: 0,
      unrefundedLatePayments: 0,
      ledgerChecked: true,
    });
  });

  const doctored: Array<[string, (b: ReturnType<typeof cleanBooks>) => void, string]> = [
    [
      "a unit paid twice",
      ({ books }) => {
        books.claims[5] = claim("o3", 2, "fan-c", "paid", "pay_3");
      },
      "1 unit is on more than one paid order",
    ],
    [
      "a paid unit outside 1..N",
      ({ books }) => {
        books.claims[5] = claim("o3", 4, "fan-c", "paid", "pay_3");
      },
      "1 paid order carries a unit outside 1..3",
    ],
    [
      "a fan over the limit",
      ({ books }) => {
        books.claims[4] = claim("o2", 2, "fan-a", "paid", "pay_2");
      },
      "1 fan holds more than 1 unit",
    ],
    [
      "an order paid twice",
      ({ ledger }) => {
        ledger.push({ id: "pay_1b", orderId: "o1", kept: true });
      },
      "1 double payment",
    ],
    [
      "a late payment kept",
      ({ ledger }) => {
        ledger[3] = { id: "pay_6", orderId: "o6", kept: true };
      },
      "1 late payment was kept, not refunded",
    ],
    [
      "a paid order whose payment was refunded",
      ({ ledger }) => {
        ledger[0] = { id: "pay_1", orderId: "o1", kept: false };
      },
      "1 paid order has no kept payment of its own",
    ],
    [
      "a hold never swept",
      ({ books }) => {
        books.claims[3] = { ...claim("o1", 1, "fan-a", "held"), lapsed: true };
      },
      "1 hold was still held after the run (1 past expiry, never swept)",
    ],
    [
      "a unit lost from the books",
      ({ books }) => {
        books.stock = 1;
      },
      "0 held + 3 paid + 1 in stock is not the 3 units",
    ],
    [
      "an acknowledged payment without its paid order",
      ({ facts }) => {
        facts.activity!.paidOrderIds.push("o5");
      },
      "1 acknowledged answer has no matching record (win, payment, refund or release)",
    ],
    [
      "fewer than N paid while fans were told sold out",
      lastPayerNeverPaid,
      'paid 2 of 3, yet 2 fans were told "sold out" with nothing left to come back',
    ],
  ];

  test.each(doctored)("%s fails the verdict", (_what, doctor, breach) => {
    const books = cleanBooks();
    doctor(books);
    const c = judgeCheckout(books.books, books.ledger, books.facts);
    expect(c.breaches).toContain(breach);
  });

  test("fewer than N paid because the fans ran out is a warning, not a breach", () => {
    const clean = cleanBooks();
    lastPayerNeverPaid(clean);
    const { books, ledger, facts } = clean;
    facts.activity!.gaveUp = 0;
    const c = judgeCheckout(books, ledger, facts);
    expect(c.breaches).toEqual([]);
    expect(c.warnings).toEqual([
      "paid 2 of 3: the 8 fans ran out first (give the Stress Test more attempts)",
    ]);
  });

  test("holds that ran out before their fan acted are a warning that the answers are slower than the hold", () => {
    const { books, ledger, facts } = cleanBooks();
    facts.activity!.tooLate = 1;
    const c = judgeCheckout(books, ledger, facts);
    expect(c.breaches).toEqual([]);
    expect(c.warnings).toEqual([
      "1 hold of 6 ran out before the fan could pay or release (answers slower than the 3 s hold; try fewer at the same time)",
    ]);
  });

  test("fewer than N paid with holds running out early blames the slow answers, not the number of fans", () => {
    const clean = cleanBooks();
    lastPayerNeverPaid(clean);
    const { books, ledger, facts } = clean;
    facts.activity!.gaveUp = 0;
    facts.activity!.tooLate = 1;
    const c = judgeCheckout(books, ledger, facts);
    expect(c.breaches).toEqual([]);
    expect(c.warnings).toEqual([
      "paid 2 of 3: the 8 fans ran out first, many of their holds running out before they could pay",
      "1 hold of 6 ran out before the fan could pay or release (answers slower than the 3 s hold; try fewer at the same time)",
    ]);
  });

  test("fates go by win order: thirds, and the first payer of every four pays late", () => {
    const fates = Array.from({ length: 24 }, (_, k) => fateOfWin(k));
    const count = (fate: string) => fates.filter((f) => f === fate).length;
    expect([count("abandons"), count("releases"), count("pays"), count("pays_late")]).toEqual([8, 8, 6, 2]);
    expect(fates.slice(0, 3)).toEqual(["abandons", "releases", "pays_late"]);
  });
});

/** A finished run of the three fans' holds above, as the runner would report it. */
function runOf(facts: CheckoutRunFacts): StampedeRun {
  const counts = emptyCounts();
  counts.won = facts.wins.orderIds.length;
  counts.sold_out = 2;
  return {
    baseUrl: "http://127.0.0.1:3000",
    drop: {
      id: "d",
      slug: "rehearsal-hold",
      quantity: 3,
      remaining: 3,
      status: "live",
      startsAt: "",
      serverTime: "",
    },
    runId: "r",
    concurrency: 2,
    attemptsPlanned: 8,
    attempts: 8,
    abandoned: 0,
    timeouts: 0,
    cancelled: false,
    counts,
    latency: { win: new LatencyHistogram(), rejection: new LatencyHistogram(), busy: new LatencyHistogram() },
    wins: facts.wins,
    durationMs: 5000,
    lastWinAtMs: 4000,
    problems: [],
    ...(facts.activity ? { checkout: facts.activity } : {}),
  };
}

describe("the receipt of a checkout rehearsal", () => {
  const audit = { quantity: 3, sold: 3, remaining: 0, oversold: 0, duplicateUnits: 0, unitsOutOfRange: 0 };
  const orders = { orderIds: ["o1", "o2", "o3"], units: [1, 2, 3] };

  function receiptOf(doctor?: (b: ReturnType<typeof cleanBooks>) => void) {
    const b = cleanBooks();
    doctor?.(b);
    const checkout = judgeCheckout(b.books, b.ledger, b.facts);
    return buildReceipt(runOf(b.facts), audit, orders, { backend: "pglite", checkout });
  }

  const testOf = (receipt: ReturnType<typeof receiptOf>): StressTest => ({
    id: "t",
    dropId: "d0",
    rehearsalDropId: "d",
    status: receipt.verdict === "PASS" ? "passed" : "failed",
    attempts: 8,
    concurrency: 2,
    receipt,
    replay: undefined,
    problem: undefined,
    createdAt: new Date("2025-11-30T02:00:00Z"),
    finishedAt: new Date("2025-11-30T02:00:05Z"),
  });

  test("passes on clean books: won-again units are not sold twice, and the page shows the checkout section", () => {
    const receipt = receiptOf();
    expect(receipt.breaches).toEqual([]);
    expect(receipt.verdict).toBe("PASS");
    const html = String(<StressReceipt test={testOf(receipt)} />);
    expect(html).toContain('<section id="receipt-checkout" aria-labelledby="checkout-heading">');
    expect(html).toContain('<dd id="receipt-paid">3 of 3</dd>');
    expect(html).toContain('<dd id="receipt-expired">1</dd>');
    expect(html).toContain('<dd id="receipt-released">1</dd>');
    expect(html).toContain('<dd id="receipt-refunded">1</dd>');
    expect(html).toContain('<dd id="receipt-paid-units">1..3, each once</dd>');
    expect(html).toContain('<dd id="receipt-double-payments">0</dd>');
    expect(html).toContain('<dd id="receipt-unrefunded">0</dd>');
    expect(html).toContain("every late payment refunded");
  });

  test("the tile race of a checkout rehearsal says a lit tile was held, not sold", () => {
    const replay = { quantity: 3, unitsPerTile: 1, tiles: 3, firstAtMs: "", fullAtMs: "", claimedUnits: "" };
    const html = String(<TileReplaySection replay={replay} seconds={5} checkout />);
    expect(html).toContain("coloured by when it was first held during the 5.0 s run");
    expect(html).toContain("grey tiles were never held");
    expect(String(<TileReplaySection replay={replay} seconds={5} />)).toContain("grey tiles were not sold");
  });

  test("fails when the checkout audit finds a breach, and the page lists it", () => {
    const receipt = receiptOf(({ ledger }) => {
      ledger[3] = { id: "pay_6", orderId: "o6", kept: true };
    });
    expect(receipt.verdict).toBe("FAIL");
    expect(receipt.breaches).toEqual(["1 late payment was kept, not refunded"]);
    const html = String(<StressReceipt test={testOf(receipt)} />);
    expect(html).toContain('<dd id="receipt-unrefunded">1</dd>');
    expect(html).toContain("<li>1 late payment was kept, not refunded</li>");
  });
});

describe("StockReturns: when a fan told sold out waits and when it stops", () => {
  test("it waits while a unit of the run's is pending, came back meanwhile, or an earlier purchase is unanswered", () => {
    const returns = new StockReturns();
    const earlier = returns.sending();
    const mine = returns.sending();
    const later = returns.sending();
    const seen = returns.version;
    expect(returns.mayComeBack(mine, seen)).toBe(true);
    returns.answered(earlier);
    // Only a later purchase is in flight: it can only win what came back after this answer.
    expect(returns.mayComeBack(mine, seen)).toBe(false);
    returns.held();
    expect(returns.mayComeBack(mine, seen)).toBe(true);
    returns.settled();
    expect(returns.mayComeBack(mine, seen)).toBe(false);
    returns.returned();
    expect(returns.mayComeBack(mine, seen)).toBe(true);
    // For the later purchase, this one (earlier, still unanswered) may yet hold a unit; once answered, not.
    expect(returns.mayComeBack(later, returns.version)).toBe(true);
    returns.answered(mine);
    expect(returns.mayComeBack(later, returns.version)).toBe(false);
  });

  test("a return wakes one waiting fan; the last pending unit settling wakes them all", async () => {
    const returns = new StockReturns();
    const woken: number[] = [];
    returns.held();
    const waits = [0, 1, 2].map((i) => returns.wait(undefined).then(() => woken.push(i)));
    returns.returned();
    await waits[0];
    expect(woken).toEqual([0]);
    returns.settled();
    await Promise.all(waits);
    expect(woken.sort()).toEqual([0, 1, 2]);
  });
});
