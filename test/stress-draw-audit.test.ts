/**
 * The draw rehearsal's judge (src/domain/stress-test/draw-audit.ts) on doctored figures: each check that a
 * clean run passes fails when its figure is bent, so a receipt that passes says something.
 */
import { describe, expect, test } from "vitest";
import { judgeDraw } from "../src/domain/stress-test/draw-audit";
import type { DrawFansRun } from "../src/domain/stress-test/draw-rehearsal";
import { emptyActivity } from "../src/stampede/checkout-buyers";

const fans = (over: Partial<DrawFansRun> = {}): DrawFansRun => ({
  fans: 10,
  entered: 10,
  entriesWindowMs: 1200,
  winnersAtDraw: 3,
  wins: { orderIds: [], units: [] },
  activity: emptyActivity(),
  peakHeldOrPaid: 3,
  looks: 5,
  stalled: false,
  cancelled: false,
  problems: [],
  ...over,
});
const stats = { entries: 10, waiting: 5, offered: 5, held: 0, paid: 3, lapsed: 2 };
const books = { quantity: 3, holdSeconds: 5, paid: 3, stock: 0 };

describe("judgeDraw", () => {
  test("a clean rehearsal has no breach and the database's figures", () => {
    expect(judgeDraw(fans(), stats, [], books)).toMatchObject({
      entries: 10,
      winners: 3,
      offersMade: 5,
      paid: 3,
      lapsed: 2,
      leftovers: 0,
      breaches: [],
    });
  });

  test.each([
    [
      "more held or paid at once than units",
      fans({ peakHeldOrPaid: 4 }),
      stats,
      [],
      books,
      /held or paid at once/,
    ],
    ["a record that does not verify", fans(), stats, ["the ranking differs"], books, /does not verify/],
    ["an acknowledged entry missing", fans({ entered: 11 }), stats, [], books, /acknowledged/],
    ["an offer still held", fans(), { ...stats, held: 1 }, [], books, /still held/],
    [
      "a free unit while fans wait",
      fans(),
      { ...stats, paid: 2 },
      [],
      { ...books, paid: 2, stock: 1 },
      /left free/,
    ],
    ["queue and books disagree", fans(), { ...stats, paid: 2 }, [], books, /the books/],
  ])("breaches on %s", (_, f, s, problems, b, message) => {
    expect(judgeDraw(f, s, problems, b).breaches.join("\n")).toMatch(message);
  });
});
