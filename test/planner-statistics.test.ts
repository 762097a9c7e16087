import { describe, expect, it } from "vitest";
import { PlannerStatistics, REFRESH_AFTER } from "../src/domain/purchase/planner-statistics";

/** When the shop refreshes the planner's statistics of orders (the why: src/domain/purchase/planner-statistics.ts). */
describe("PlannerStatistics", () => {
  const counting = () => {
    const calls = { started: 0, release: [] as (() => void)[] };
    const analyze = () => {
      calls.started++;
      return new Promise<void>((resolve) => calls.release.push(resolve));
    };
    return { calls, analyze };
  };

  it("refreshes once a drop has REFRESH_AFTER orders from this process, and not again for it", async () => {
    const { calls, analyze } = counting();
    const statistics = new PlannerStatistics(analyze);
    for (let i = 0; i < REFRESH_AFTER - 1; i++) statistics.placed("drop-a");
    expect(calls.started).toBe(0);
    statistics.placed("drop-a");
    expect(calls.started).toBe(1);
    calls.release.shift()?.();
    await statistics.settled();
    for (let i = 0; i < REFRESH_AFTER; i++) statistics.placed("drop-a");
    expect(calls.started).toBe(1);
  });

  it("folds requests made while one runs into a single next refresh", async () => {
    const { calls, analyze } = counting();
    const statistics = new PlannerStatistics(analyze);
    for (const drop of ["a", "b", "c"]) for (let i = 0; i < REFRESH_AFTER; i++) statistics.placed(drop);
    expect(calls.started).toBe(1);
    calls.release.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.started).toBe(2);
    calls.release.shift()?.();
    await statistics.settled();
    expect(calls.started).toBe(2);
  });

  it("refreshes again each time the process's total doubles, across drops", async () => {
    let started = 0;
    const statistics = new PlannerStatistics(async () => {
      started++;
    });
    // Drops too small for their own refresh: only the process-wide doubling asks for one.
    const small = REFRESH_AFTER - 1;
    let placed = 0;
    for (let drop = 0; placed < REFRESH_AFTER * 16; drop++) {
      for (let i = 0; i < small; i++, placed++) statistics.placed(`drop-${drop}`);
      await statistics.settled();
    }
    // Totals crossed: 4×, 8× and 16× REFRESH_AFTER.
    expect(started).toBe(3);
  });

  it("reports a failed refresh and keeps going", async () => {
    const errors: unknown[] = [];
    let started = 0;
    const statistics = new PlannerStatistics(
      async () => {
        started++;
        throw new Error("ANALYZE refused");
      },
      (error) => errors.push(error),
    );
    for (let i = 0; i < REFRESH_AFTER; i++) statistics.placed("a");
    await statistics.settled();
    for (let i = 0; i < REFRESH_AFTER; i++) statistics.placed("b");
    await statistics.settled();
    expect(started).toBe(2);
    expect(errors.map(String)).toEqual(["Error: ANALYZE refused", "Error: ANALYZE refused"]);
  });
});
