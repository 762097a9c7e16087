import { describe, expect, it } from "vitest";
import { DropCache } from "../src/domain/purchase/drop-cache";

const DROP = "7d5b0a4e-2f7c-4c59-9a51-3f2a7c1e0b11";

/** A clock the test moves by hand, so "the belief expired" needs no waiting. */
function handClock(start = 1_000_000) {
  let now = start;
  return {
    clock: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("DropCache: the sold-out belief", () => {
  it("sends one buyer to the database once the belief expires, and answers the rest from memory", () => {
    const time = handClock();
    const cache = new DropCache(100, time.clock, 2000);
    cache.markSoldOut(DROP);
    expect(cache.isSoldOut(DROP)).toBe(true);
    time.advance(2000);
    // The first buyer past the belief asks the database; a stampede's others meanwhile do not (before, all
    // of them did: several purchase statements per expiry, each holding PGlite's one thread).
    expect(cache.isSoldOut(DROP)).toBe(false);
    for (let buyer = 0; buyer < 100; buyer++) expect(cache.isSoldOut(DROP)).toBe(true);
    // The database said sold out again: believed anew for the whole interval.
    cache.markSoldOut(DROP);
    time.advance(1999);
    expect(cache.isSoldOut(DROP)).toBe(true);
  });

  it("lets one buyer ask again per interval while nobody confirms it (the asking buyer failed)", () => {
    const time = handClock();
    const cache = new DropCache(100, time.clock, 2000);
    cache.markSoldOut(DROP);
    time.advance(2500);
    expect(cache.isSoldOut(DROP)).toBe(false);
    expect(cache.isSoldOut(DROP)).toBe(true);
    time.advance(2000);
    expect(cache.isSoldOut(DROP)).toBe(false);
  });

  it("ends the belief at once when the asking buyer finds a unit (one came back)", () => {
    const time = handClock();
    const cache = new DropCache(100, time.clock, 2000);
    cache.markSoldOut(DROP, 2);
    time.advance(2000);
    expect(cache.isSoldOut(DROP, 2)).toBe(false);
    // The renewed belief would turn the others away for another interval; the sale ends it.
    cache.noteSale(DROP, 2);
    expect(cache.isSoldOut(DROP, 2)).toBe(false);
    cache.markSoldOut(DROP, 2);
    cache.noteSale(DROP, 2);
    expect(cache.isSoldOut(DROP, 2)).toBe(false);
  });

  it("keeps variants apart", () => {
    const time = handClock();
    const cache = new DropCache(100, time.clock, 2000);
    cache.markSoldOut(DROP, 1);
    expect(cache.isSoldOut(DROP, 1)).toBe(true);
    expect(cache.isSoldOut(DROP, 0)).toBe(false);
    cache.noteSale(DROP, 0);
    expect(cache.isSoldOut(DROP, 1)).toBe(true);
  });
});
