import { describe, expect, it, vi } from "vitest";
import { GarbageBudget, startGarbageBudget } from "../src/process/garbage-budget";

const MiB = 2 ** 20;

/** A process whose resident memory the test sets, and whose collection frees what the test says. */
function fakeProcess(startMiB: number) {
  const state = { residentMiB: startMiB, freedByCollection: 0, collections: 0, clock: 0 };
  const budget = new GarbageBudget({
    budgetBytes: 16 * MiB,
    residentBytes: () => state.residentMiB * MiB,
    collect: () => {
      state.collections += 1;
      state.residentMiB -= state.freedByCollection;
      state.clock += 7;
    },
    now: () => state.clock,
  });
  return { state, budget };
}

describe("garbage budget (src/process/garbage-budget.ts)", () => {
  it("collects once resident memory has grown more than the budget since the start, not before", () => {
    const { state, budget } = fakeProcess(200);
    state.residentMiB = 216; // exactly the budget: not yet
    expect(budget.check()).toBe(false);
    state.residentMiB = 217;
    state.freedByCollection = 15;
    expect(budget.check()).toBe(true);
    expect(state.collections).toBe(1);
    expect(budget.stats()).toEqual({ collections: 1, collectingMs: 7 });
  });

  it("measures the next growth from the level after the collection, so memory it cannot free is not collected again and again", () => {
    const { state, budget } = fakeProcess(200);
    state.residentMiB = 230; // 30 MiB more, of which a collection frees nothing
    expect(budget.check()).toBe(true);
    for (let i = 0; i < 5; i++) expect(budget.check()).toBe(false);
    state.residentMiB = 246; // 16 above the new level: still within
    expect(budget.check()).toBe(false);
    state.residentMiB = 247;
    expect(budget.check()).toBe(true);
    expect(state.collections).toBe(2);
  });

  it("follows the resident memory down, so growth after memory was returned counts from the lower level", () => {
    const { state, budget } = fakeProcess(200);
    state.residentMiB = 180;
    expect(budget.check()).toBe(false);
    state.residentMiB = 197; // 17 above the lowest level seen, 3 below the start
    expect(budget.check()).toBe(true);
  });

  it("is not started with a budget of 0, nor outside Bun", () => {
    expect(startGarbageBudget(0)).toBeUndefined();
    const onBun = "Bun" in globalThis;
    const started = startGarbageBudget(16 * MiB);
    expect(started !== undefined).toBe(onBun);
    started?.stop();
  });

  // Runs under Bun with the other Bun suites (`bun --bun vitest run test/garbage-budget.test.ts`).
  it.runIf("Bun" in globalThis)("on Bun, collects when the process grows past the budget", async () => {
    const started = startGarbageBudget(1);
    try {
      let garbage: string[] = [];
      for (let i = 0; i < 200_000; i++) garbage.push(`order ${i} `.repeat(8));
      garbage = [];
      await vi.waitFor(() => expect(started?.budget.stats().collections).toBeGreaterThan(0), {
        timeout: 5000,
      });
      expect(garbage).toEqual([]);
    } finally {
      started?.stop();
    }
  });
});
