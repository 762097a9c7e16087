/**
 * Variants (sizes, colours): a drop sells each of its 1..20 variants exactly, on its own, and the drop in
 * total. A variant at `position` p owns the unit space p × UNITS_PER_VARIANT + 1 .. + quantity: its stock
 * buckets, orders and returned units carry unit numbers in that range, so every statement that finds a
 * variant's stock filters by that range and the orders' UNIQUE (drop_id, unit_no) is the unique
 * (drop, variant, unit). A drop made without variants is variant 0, whose unit numbers are 1..N as always.
 * The fan and the seller see the unit number within the variant (`unitInVariant`).
 */
import { type Bucket, bucketCountFor, MAX_BUCKETS, planBuckets } from "./stock-plan";

/** The width of one variant's unit space (a drop sells at most 1,000,000 units in total). */
export const UNITS_PER_VARIANT = 1_000_000;
export const MAX_VARIANTS = 20;

export interface Variant {
  /** A uuid for a named variant; the drop's own id for the one variant of a drop made without variants. */
  id: string;
  /** 0..19: the variant's place in the drop, and its unit space. */
  position: number;
  name: string;
  quantity: number;
  /** Its own price; null: the drop's. */
  priceCents: number | null;
}

export interface VariantInput {
  name: string;
  quantity: number;
  priceCents?: number | undefined;
}

/** The variant a unit number belongs to (its position). */
export const variantOfUnit = (unitNo: number): number => Math.floor((unitNo - 1) / UNITS_PER_VARIANT);

/** A unit's number as the fan and seller see it: 1..quantity within its variant. */
export const unitInVariant = (unitNo: number): number => ((unitNo - 1) % UNITS_PER_VARIANT) + 1;

/** The stored unit number of unit `unit` (1-based) of the variant at `position`. */
export const storedUnit = (position: number, unit: number): number => position * UNITS_PER_VARIANT + unit;

/**
 * Buckets for every variant, numbered across the drop (bucket 0..63), each lying inside its variant's unit
 * space. Each variant gets the buckets its quantity would get alone, shared out so that the drop keeps at
 * most 64 (a hot drop of 5 variants spreads each over 12 rows).
 * @example planVariantBuckets([10, 25]) // [{bucket:0,firstUnit:1,size:10},{bucket:1,firstUnit:1000001,size:12},{bucket:2,firstUnit:1000013,size:13}]
 */
export function planVariantBuckets(quantities: readonly number[]): Bucket[] {
  const share = Math.max(1, Math.floor(MAX_BUCKETS / quantities.length));
  const buckets: Bucket[] = [];
  quantities.forEach((quantity, position) => {
    const count = Math.min(share, bucketCountFor(quantity));
    for (const b of planBuckets(quantity, count)) {
      buckets.push({ bucket: buckets.length, firstUnit: storedUnit(position, b.firstUnit), size: b.size });
    }
  });
  return buckets;
}

/** The one variant of a drop made without variants: its id is the drop's. */
export const soleVariant = (drop: { id: string; quantity: number }): Variant => ({
  id: drop.id,
  position: 0,
  name: "Standard",
  quantity: drop.quantity,
  priceCents: null,
});

/**
 * The variant a purchase names (its id or its name, names compared without case), or undefined when
 * none matches. With no name asked for, a drop of one variant answers that variant, a drop of several null.
 */
export function pickVariant(
  variants: readonly Variant[],
  asked: string | undefined,
): Variant | null | undefined {
  if (asked === undefined || asked === "") return variants.length === 1 ? variants[0]! : null;
  const wanted = asked.trim().toLowerCase();
  return variants.find((v) => v.id === wanted || v.name.toLowerCase() === wanted);
}

/** Problems with a seller's list of variants (empty when fine). */
export function variantProblems(variants: readonly VariantInput[]): string[] {
  const problems: string[] = [];
  if (variants.length < 1 || variants.length > MAX_VARIANTS)
    problems.push(`a drop has 1 to ${MAX_VARIANTS} variants`);
  const seen = new Set<string>();
  for (const v of variants) {
    const key = v.name.trim().toLowerCase();
    if (seen.has(key)) problems.push(`variant names must differ: "${v.name}" is given twice`);
    seen.add(key);
  }
  const total = variants.reduce((sum, v) => sum + v.quantity, 0);
  if (total > 1_000_000) problems.push("a drop sells at most 1,000,000 units in total");
  return problems;
}
