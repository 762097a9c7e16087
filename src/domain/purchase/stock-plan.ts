export const MAX_BUCKETS = 64;
/** Fewer units per bucket than this makes the last units of a drop collide on a handful of rows. */
const MIN_UNITS_PER_BUCKET = 8;

export interface Bucket {
  bucket: number;
  firstUnit: number;
  size: number;
}

/** How many stock rows a drop of `quantity` units is spread over: 1 for tiny drops, at most 64. */
export function bucketCountFor(quantity: number): number {
  return Math.max(1, Math.min(MAX_BUCKETS, Math.floor(quantity / MIN_UNITS_PER_BUCKET)));
}

/**
 * Splits units 1..quantity into `count` contiguous buckets whose sizes differ by at most one.
 * @example planBuckets(10, 3) // [{bucket:0,firstUnit:1,size:4},{bucket:1,firstUnit:5,size:3},{bucket:2,firstUnit:8,size:3}]
 */
export function planBuckets(quantity: number, count = bucketCountFor(quantity)): Bucket[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_BUCKETS || count > quantity) {
    throw new RangeError(`bucket count must be 1..${Math.min(MAX_BUCKETS, quantity)}, got ${count}`);
  }
  const base = Math.floor(quantity / count);
  const extra = quantity % count;
  const buckets: Bucket[] = [];
  let firstUnit = 1;
  for (let bucket = 0; bucket < count; bucket++) {
    const size = base + (bucket < extra ? 1 : 0);
    buckets.push({ bucket, firstUnit, size });
    firstUnit += size;
  }
  return buckets;
}
