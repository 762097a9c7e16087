import { describe, expect, it } from "vitest";
import { bucketCountFor, MAX_BUCKETS, planBuckets } from "../src/domain/purchase/stock-plan";

describe("stock plan", () => {
  it.each([1, 2, 7, 10, 100, 513, 1000, 999_999, 1_000_000])(
    "numbers units 1..%i exactly once",
    (quantity) => {
      const buckets = planBuckets(quantity);
      expect(buckets.length).toBe(bucketCountFor(quantity));
      expect(buckets.length).toBeGreaterThanOrEqual(1);
      expect(buckets.length).toBeLessThanOrEqual(MAX_BUCKETS);
      let next = 1;
      for (const [index, b] of buckets.entries()) {
        expect(b.bucket).toBe(index);
        expect(b.firstUnit).toBe(next);
        expect(b.size).toBeGreaterThanOrEqual(1);
        next += b.size;
      }
      expect(next - 1).toBe(quantity);
      const sizes = buckets.map((b) => b.size);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    },
  );

  it("spreads large drops over 64 buckets and keeps tiny drops in one", () => {
    expect(bucketCountFor(1)).toBe(1);
    expect(bucketCountFor(15)).toBe(1);
    expect(bucketCountFor(100)).toBe(12);
    expect(bucketCountFor(10_000)).toBe(64);
  });

  it("accepts an explicit count, including a single bucket", () => {
    expect(planBuckets(10, 1)).toEqual([{ bucket: 0, firstUnit: 1, size: 10 }]);
    expect(planBuckets(10, 3)).toEqual([
      { bucket: 0, firstUnit: 1, size: 4 },
      { bucket: 1, firstUnit: 5, size: 3 },
      { bucket: 2, firstUnit: 8, size: 3 },
    ]);
  });

  it("refuses impossible counts", () => {
    expect(() => planBuckets(10, 0)).toThrow(RangeError);
    expect(() => planBuckets(10, 11)).toThrow(RangeError);
    expect(() => planBuckets(1000, 65)).toThrow(RangeError);
  });
});
