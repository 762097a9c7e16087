import { describe, expect, test } from "vitest";
import { stressLimitsFor } from "../src/domain/stress-test/stress-limits";
import { defaultStressSettings } from "../src/domain/stress-test/stress-test";
import {
  MAX_TILES,
  NOT_YET,
  packTimes,
  StressProgress,
  tileLayout,
  tileOf,
  unpackTimes,
} from "../src/domain/stress-test/stress-test-progress";
import { parseStressSettings } from "../src/web/seller/seller-stress-forms";

describe("tile layout", () => {
  test("one tile per unit up to the tile budget", () => {
    expect(tileLayout(30)).toEqual({ quantity: 30, unitsPerTile: 1, tiles: 30 });
    expect(tileLayout(MAX_TILES)).toEqual({ quantity: MAX_TILES, unitsPerTile: 1, tiles: MAX_TILES });
  });

  test("larger drops share tiles, never more than the budget, every unit on exactly one tile", () => {
    for (const quantity of [2001, 5000, 99_999, 1_000_000]) {
      const layout = tileLayout(quantity);
      expect(layout.tiles).toBeLessThanOrEqual(MAX_TILES);
      expect(layout.unitsPerTile).toBe(Math.ceil(quantity / MAX_TILES));
      expect(tileOf(layout, 1)).toBe(0);
      expect(tileOf(layout, quantity)).toBe(layout.tiles - 1);
      // The last tile holds what is left and is not empty.
      expect(quantity - (layout.tiles - 1) * layout.unitsPerTile).toBeGreaterThan(0);
    }
  });

  test("units outside 1..quantity light no tile", () => {
    const layout = tileLayout(10);
    expect([0, 11, -1, 1.5].map((unit) => tileOf(layout, unit))).toEqual([-1, -1, -1, -1]);
  });
});

describe("progress", () => {
  test("counts outcomes and claimed units per tile in fixed memory", () => {
    const progress = new StressProgress(5000, 20_000);
    expect(progress.claimed.length).toBe(1667);
    const counts = progress.counts;
    for (const [answered, outcome, unitNo] of [
      [1, "won", 1],
      [2, "won", 3],
      [3, "won", 4],
      [4, "sold_out", undefined],
      [5, "busy", undefined],
    ] as const) {
      progress.record({ outcome, unitNo, counts, answered, attempts: 20_000 });
    }
    const snapshot = progress.snapshot();
    expect(snapshot.claimed[0]).toBe(2);
    expect(snapshot.claimed[1]).toBe(1);
    expect(snapshot).toMatchObject({ answered: 5, attempts: 20_000, version: 5 });
    expect(snapshot.counts).toMatchObject({ won: 3, sold_out: 1, busy: 1, error: 0 });
    // A snapshot is a copy: later answers do not change what a watcher already holds.
    progress.record({ outcome: "won", unitNo: 2, counts, answered: 6, attempts: 20_000 });
    expect(snapshot.claimed[0]).toBe(2);
  });
});

describe("the race kept for the replay", () => {
  test("per tile: when its first and last unit were claimed, and how many in the end, packed compactly", () => {
    const progress = new StressProgress(5, 100); // one unit per tile
    progress.recordBatch({
      answered: 3,
      counts: { ...progress.counts, won: 3 },
      claims: [2, 10.4, 5, 12, 1, 30],
    });
    progress.recordBatch({ answered: 4, counts: { ...progress.counts, won: 3, sold_out: 1 }, claims: [] });
    expect(progress.snapshot()).toMatchObject({ answered: 4, version: 2 });
    const replay = progress.replay();
    expect(replay).toMatchObject({ quantity: 5, unitsPerTile: 1, tiles: 5 });
    expect([...unpackTimes(replay.firstAtMs)]).toEqual([30, 10, NOT_YET, NOT_YET, 12]);
    expect([...unpackTimes(replay.fullAtMs)]).toEqual([30, 10, NOT_YET, NOT_YET, 12]);
    expect([...unpackTimes(replay.claimedUnits)]).toEqual([1, 1, 0, 0, 1]);
  });

  test("a tile of several units is full only when its last unit is claimed; 2,000 tiles stay small", () => {
    const large = new StressProgress(1_000_000, 10);
    expect(large.replay().firstAtMs.length).toBeLessThan(11_000);
    const shared = new StressProgress(4001, 10); // 3 units per tile
    shared.recordBatch({ answered: 2, counts: shared.counts, claims: [1, 5, 2, 7] });
    expect(unpackTimes(shared.replay().fullAtMs)[0]).toBe(NOT_YET);
    shared.recordBatch({ answered: 3, counts: shared.counts, claims: [3, 9] });
    expect(unpackTimes(shared.replay().fullAtMs)[0]).toBe(9);
    expect(unpackTimes(packTimes(Uint32Array.of(0, 1, NOT_YET)))).toEqual(Uint32Array.of(0, 1, NOT_YET));
  });
});

describe("limits per backend", () => {
  test("the embedded database gets far smaller limits; configured values override the defaults", () => {
    const embedded = stressLimitsFor("pglite");
    const server = stressLimitsFor("postgres");
    expect(embedded.maxAttempts).toBeLessThanOrEqual(server.maxAttempts / 10);
    expect(embedded.maxConcurrency).toBeLessThan(server.maxConcurrency);
    expect(stressLimitsFor("dsql")).toEqual(server);
    expect(stressLimitsFor("pglite", { maxRunning: 3, runsPerHour: undefined })).toEqual({
      ...embedded,
      maxRunning: 3,
    });
    expect(defaultStressSettings(10_000, embedded)).toEqual({ attempts: 20_000, concurrency: 200 });
  });
});

describe("the Stress Test form", () => {
  test("defaults to five attempts per unit (at least 1,000, capped) in 20 waves or more, 200 at a time at most", () => {
    // The review's case: a small drop's default run was 60 attempts at 200 at once, over before it showed.
    expect(defaultStressSettings(12)).toEqual({ attempts: 1000, concurrency: 50 });
    expect(defaultStressSettings(30)).toEqual({ attempts: 1000, concurrency: 50 });
    expect(defaultStressSettings(2000)).toEqual({ attempts: 10_000, concurrency: 200 });
    expect(defaultStressSettings(1_000_000)).toEqual({ attempts: 200_000, concurrency: 200 });
  });

  test("reads whole numbers within bounds and names each bad field", () => {
    expect(parseStressSettings({ attempts: " 150 ", concurrency: "20" })).toEqual({
      ok: true,
      value: { attempts: 150, concurrency: 20, pace: "fast" },
    });
    expect(parseStressSettings({ attempts: "200000", concurrency: "1000" }).ok).toBe(true);
    expect(parseStressSettings({ attempts: "200001", concurrency: "0" })).toEqual({
      ok: false,
      errors: {
        attempts: "Purchase attempts must be at most 200,000",
        concurrency: "Purchases at the same time must be at least 1",
      },
    });
    expect(parseStressSettings({ attempts: "1e3", concurrency: "-5" })).toEqual({
      ok: false,
      errors: {
        attempts: "Purchase attempts must be a whole number",
        concurrency: "Purchases at the same time must be a whole number",
      },
    });
  });
});

describe("the Stress Test receipt speaks to a seller", () => {
  test("the headline says exact or not, and keeps latency figures for the details", async () => {
    const { sellerHeadline } = await import("../views/seller/stress-run");
    type R = Parameters<typeof sellerHeadline>[0];
    const pass = { verdict: "PASS", breaches: [], warnings: [] } as unknown as R;
    const slow = {
      verdict: "PASS",
      breaches: [],
      warnings: ["win p99 latency 2114 ms (slow)"],
    } as unknown as R;
    const fail = { verdict: "FAIL", breaches: ["oversold by 1"], warnings: [] } as unknown as R;
    expect(sellerHeadline(pass)).toBe("Exact: every unit sold once, nothing beyond stock");
    expect(sellerHeadline(slow)).toMatch(/^Exact, though the server was slow/);
    expect(sellerHeadline(slow)).not.toMatch(/p99|ms/);
    expect(sellerHeadline(fail)).toBe("Not exact: oversold by 1");
  });
});
