/** A drop's named variants (sizes, colours; sql/0150) and each one's stock. */
import type { Database, Queryable } from "../../db/database";
import { UNITS_PER_VARIANT, type Variant, type VariantInput } from "../../domain/purchase/variants";

interface VariantRow {
  id: string;
  position: number;
  name: string;
  quantity: number;
  price_cents: number | null;
}

const toVariant = (row: VariantRow): Variant => ({
  id: row.id,
  position: row.position,
  name: row.name,
  quantity: row.quantity,
  priceCents: row.price_cents,
});

/** Writes a new drop's variants, position = their order in the list (inside the drop's own transaction). */
export async function insertVariants(tx: Queryable, dropId: string, variants: readonly VariantInput[]) {
  await tx.query(
    `INSERT INTO drop_variants (drop_id, position, name, quantity, price_cents)
     SELECT $1::uuid, v.position, v.name, v.quantity, v.price_cents
     FROM unnest($2::int[], $3::text[], $4::int[], $5::int[]) AS v(position, name, quantity, price_cents)`,
    [
      dropId,
      variants.map((_, position) => position),
      variants.map((v) => v.name),
      variants.map((v) => v.quantity),
      variants.map((v) => v.priceCents ?? null),
    ],
  );
}

/** The drop's named variants in their order; empty for a drop made without variants. */
export async function listVariants(db: Queryable, dropId: string): Promise<Variant[]> {
  const { rows } = await db.query<VariantRow>(
    `SELECT id, position, name, quantity, price_cents FROM drop_variants
     WHERE drop_id = $1::uuid ORDER BY position`,
    [dropId],
    { name: "list_variants" },
  );
  return rows.map(toVariant);
}

/**
 * Units left per variant position (unsold bucket ranges plus returned units, grouped by unit space);
 * a variant with nothing left is absent. One read, so the counts are of one snapshot.
 */
export async function readVariantStock(db: Database, dropId: string): Promise<Map<number, number>> {
  const { rows } = await db.query<{ position: number; remaining: number }>(
    `SELECT position, sum(remaining)::int AS remaining FROM (
       SELECT (first_unit - 1) / ${UNITS_PER_VARIANT} AS position, remaining
       FROM stock_buckets WHERE drop_id = $1::uuid
       UNION ALL
       SELECT (unit_no - 1) / ${UNITS_PER_VARIANT} AS position, 1 AS remaining
       FROM returned_units WHERE drop_id = $1::uuid
     ) AS units
     GROUP BY position`,
    [dropId],
    { name: "read_variant_stock" },
  );
  return new Map(rows.filter((r) => r.remaining > 0).map((r) => [Number(r.position), r.remaining]));
}

/**
 * The name of an order's variant as a SQL expression, for any query over orders (aliased `alias`): NULL for
 * a drop made without variants. For the orders export and the books.
 * @example `SELECT o.id, ${variantNameSql("o")} AS variant FROM orders o WHERE o.drop_id = $1::uuid`
 */
export const variantNameSql = (alias: string): string =>
  `(SELECT v.name FROM drop_variants v WHERE v.drop_id = ${alias}.drop_id AND v.position = (${alias}.unit_no - 1) / ${UNITS_PER_VARIANT})`;

/**
 * An order's unit counted across the whole drop, variant after variant (the first's 1..q0, then the next's
 * q0 + 1 ..), as a SQL expression over an orders-like row aliased `alias`; 0 for a unit outside its
 * variant's 1..quantity. The same number as unit_no for a drop made without variants. For books that check
 * "1..quantity, each once" over the whole drop (the Stress Test's checkout audit).
 */
export const dropWideUnitSql = (alias: string): string => {
  const position = `(${alias}.unit_no - 1) / ${UNITS_PER_VARIANT}`;
  const within = `((${alias}.unit_no - 1) % ${UNITS_PER_VARIANT} + 1)`;
  return `(CASE WHEN ${within} > (SELECT v.quantity FROM drop_variants v WHERE v.drop_id = ${alias}.drop_id AND v.position = ${position})
    THEN 0
    ELSE (SELECT coalesce(sum(v.quantity), 0)::int FROM drop_variants v WHERE v.drop_id = ${alias}.drop_id AND v.position < ${position}) + ${within}
  END)`;
};
