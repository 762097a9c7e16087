/**
 * Sizes (variants) and shipping changed after a drop was created (issue 18 §1, §2), inside the transaction of
 * the drop's edit (drop-lifecycle.ts), so the sizes, their stock and the drop's total commit together.
 *
 * Before go-live, with nothing sold, the list is replaced: sizes, their places and their stock buckets are
 * written anew. Once anything can have sold, every size keeps its place (its unit space, domain/purchase/
 * variants.ts); a size may be renamed, lowered to no less than it sold or holds, or removed while it has no
 * orders. Stock is only ever taken away by guarded statements that each remove exactly the planned units: a
 * purchase that took one of them meanwhile makes a guard miss (READ COMMITTED) or the transaction conflict
 * (snapshot isolation), nothing is written, and the edit is tried again. As units out plus units left is a
 * size's quantity at every commit, removing exactly `old - new` unsold units means no process, whatever its
 * cached list of sizes, can ever sell more than the new quantity.
 */
import type { Queryable } from "../../db/database";
import { DropLive, InvalidInput, VariantBelowSold, VariantHasOrders } from "../../domain/errors";
import { TryAgain } from "../../domain/purchase/retry";
import type { Bucket } from "../../domain/purchase/stock-plan";
import { UNITS_PER_VARIANT, type VariantInput } from "../../domain/purchase/variants";
import { recordEvents } from "../messages/events";
import { variantRange } from "../purchase/purchase-sql";
import { insertBuckets } from "./drops";
import { insertVariants } from "./variants";

/** A size as the seller edits it: `id` names a size the drop has; without it, a new size. */
export interface VariantEdit extends VariantInput {
  id?: string | undefined;
}

export interface SizeChanges {
  /** The drop's sizes as they should be, in order; null: one unnamed size of `quantity` (before go-live). */
  variants?: readonly VariantEdit[] | null | undefined;
  /** With `variants: null`, the one size's quantity. */
  quantity?: number | undefined;
  /** The stock buckets of the new list, used when it replaces the old one before go-live. */
  buckets?: Bucket[] | undefined;
  collectShipping?: boolean | undefined;
}

interface CurrentSize {
  id: string;
  position: number;
  name: string;
  quantity: number;
  price_cents: number | null;
  /** Units in its buckets' unsold ranges plus its returned units. */
  left: number;
  /** Whether any order (held, paid, refunded, expired …) has a unit of it. */
  has_orders: boolean;
}

/** Whether the change touches the sizes or shipping at all. */
export const changesSizes = (changes: SizeChanges): boolean =>
  changes.variants !== undefined || changes.collectShipping !== undefined;

/**
 * Applies `changes` to the drop inside `tx` (the drop row is already written, hence locked, by the edit) and
 * records drop.updated. Throws DropLive, VariantHasOrders, VariantBelowSold or InvalidInput (the transaction
 * rolls back: nothing is written), or TryAgain when a purchase raced the edit.
 */
export async function applySizeChanges(
  tx: Queryable,
  drop: { id: string; quantity: number; variantCount: number; upcoming: boolean },
  changes: SizeChanges,
): Promise<void> {
  if (changes.collectShipping !== undefined) {
    await tx.query(`UPDATE drops SET collect_shipping = $2::boolean WHERE id = $1::uuid`, [
      drop.id,
      changes.collectShipping,
    ]);
  }
  if (changes.variants !== undefined) {
    const sizes = await currentSizes(tx, drop);
    const untouched = sizes.every((size) => !size.has_orders && size.left === size.quantity);
    if (drop.upcoming && untouched) await replaceSizes(tx, drop.id, changes);
    else await editLiveSizes(tx, drop, sizes, changes.variants);
  }
  const data = {
    ...(changes.variants !== undefined ? { variants: true } : {}),
    ...(changes.collectShipping !== undefined ? { collectShipping: changes.collectShipping } : {}),
  };
  await recordEvents(tx, [{ dropId: drop.id, type: "drop.updated", data }]);
}

/** The drop's sizes with their stock and whether they have orders; a drop without sizes is one, at 0. */
async function currentSizes(
  tx: Queryable,
  drop: { id: string; quantity: number; variantCount: number },
): Promise<CurrentSize[]> {
  const { rows } = await tx.query<CurrentSize>(
    `SELECT v.id::text AS id, v.position, v.name, v.quantity, v.price_cents,
            (SELECT coalesce(sum(s.remaining), 0)::int FROM stock_buckets s
              WHERE s.drop_id = $1::uuid AND ${variantRange("v.position", "s.")})
              + (SELECT count(*)::int FROM returned_units r WHERE r.drop_id = $1::uuid
                  AND (r.unit_no - 1) / ${UNITS_PER_VARIANT} = v.position) AS left,
            EXISTS (SELECT 1 FROM orders o WHERE o.drop_id = $1::uuid
                      AND o.unit_no > v.position * ${UNITS_PER_VARIANT}
                      AND o.unit_no <= (v.position + 1) * ${UNITS_PER_VARIANT}) AS has_orders
     FROM (SELECT id, position, name, quantity, price_cents FROM drop_variants WHERE drop_id = $1::uuid
           UNION ALL
           SELECT $1::uuid, 0, 'Standard', $2::int, NULL::int WHERE $3::int = 0) AS v
     ORDER BY v.position`,
    [drop.id, drop.quantity, drop.variantCount],
  );
  return rows;
}

/**
 * Before go-live: the new list replaces the old, with new stock. Every bucket is deleted only while untouched
 * (`remaining = size`): one that a purchase at go-live touched meanwhile is missed, and the edit tried again.
 */
async function replaceSizes(tx: Queryable, dropId: string, changes: SizeChanges): Promise<void> {
  const { rows: kept } = await tx.query<{ bucket_count: number }>(
    `SELECT bucket_count FROM drops WHERE id = $1::uuid`,
    [dropId],
  );
  const { rows: deleted } = await tx.query(
    `DELETE FROM stock_buckets WHERE drop_id = $1::uuid AND remaining = size RETURNING bucket`,
    [dropId],
  );
  if (deleted.length !== kept[0]?.bucket_count)
    throw new TryAgain("a purchase raced the size edit at go-live");
  await tx.query(`DELETE FROM drop_variants WHERE drop_id = $1::uuid`, [dropId]);
  const variants = changes.variants ?? null;
  if (variants) await insertVariants(tx, dropId, variants);
  const buckets = changes.buckets ?? [];
  await insertBuckets(tx, dropId, buckets);
  const quantity = variants ? variants.reduce((sum, v) => sum + v.quantity, 0) : changes.quantity;
  await tx.query(
    `UPDATE drops SET quantity = $2::int, variant_count = $3::int, bucket_count = $4::int,
       variants_revision = coalesce(variants_revision, 0) + 1
     WHERE id = $1::uuid`,
    [dropId, quantity, variants ? variants.length : null, buckets.length],
  );
}

/**
 * Once live (or once anything sold): each size keeps its place and price, so a process's cached list stays
 * right but for names and removed sizes; only those move the revision of sizes, so a seller lowering a size
 * again and again does not send a stampede's buyers in other processes to read the drop again each time.
 * Renames are free; a lower quantity takes unsold units away; a size without orders may go; growth, new sizes
 * and new prices are fixed terms, as the drop's quantity and price are once live (DropLive).
 */
async function editLiveSizes(
  tx: Queryable,
  drop: { id: string; variantCount: number },
  sizes: CurrentSize[],
  wanted: readonly VariantEdit[] | null,
): Promise<void> {
  if (wanted === null || drop.variantCount === 0)
    throw new DropLive("The drop is live: it cannot switch between one size and several.");
  const byId = new Map(sizes.map((size) => [size.id, size]));
  for (const edit of wanted) {
    if (edit.id === undefined)
      throw new DropLive("The drop is live: its quantity is fixed, so no size can be added.");
    if (!byId.has(edit.id))
      throw new InvalidInput([{ path: "variants", message: `no size of this drop has the id ${edit.id}` }]);
  }
  const wantedById = new Map(wanted.map((edit) => [edit.id!, edit]));
  for (const size of sizes) {
    const edit = wantedById.get(size.id);
    if (!edit) {
      await removeSize(tx, drop.id, size);
      continue;
    }
    if ((edit.priceCents ?? null) !== size.price_cents)
      throw new DropLive(`The drop is live: the price of "${size.name}" is fixed.`);
    if (edit.quantity > size.quantity)
      throw new DropLive(
        `The drop is live: "${size.name}" cannot grow (its quantity is fixed but for lowering).`,
      );
    const out = size.quantity - size.left;
    if (edit.quantity < out) throw new VariantBelowSold(size.name, out);
    if (edit.quantity < size.quantity) await takeUnits(tx, drop.id, size, size.quantity - edit.quantity);
  }
  // Names are moved aside first, so that two sizes may swap names under UNIQUE (drop_id, name).
  await tx.query(`UPDATE drop_variants SET name = '~' || id::text WHERE drop_id = $1::uuid`, [drop.id]);
  for (const edit of wanted) {
    await tx.query(
      `UPDATE drop_variants SET name = $3::text, quantity = $4::int WHERE drop_id = $1::uuid AND id = $2::uuid`,
      [drop.id, edit.id, edit.name, edit.quantity],
    );
  }
  // A new name or a size gone is news to other processes' lists (a fan there asks by the new name): the
  // revision moves. Lowering alone does not: the stock is the database's, and buyers are not sent back.
  const renamed = wanted.some((edit) => edit.name !== byId.get(edit.id!)!.name);
  const news = renamed || wanted.length < sizes.length;
  await tx.query(
    `UPDATE drops SET
       quantity = (SELECT sum(quantity)::int FROM drop_variants WHERE drop_id = $1::uuid),
       variant_count = (SELECT count(*)::int FROM drop_variants WHERE drop_id = $1::uuid),
       variants_revision = CASE WHEN $2::boolean THEN coalesce(variants_revision, 0) + 1 ELSE variants_revision END
     WHERE id = $1::uuid`,
    [drop.id, news],
  );
}

/** A size without orders goes with its stock; one that sold meanwhile makes a guard miss (TryAgain). */
async function removeSize(tx: Queryable, dropId: string, size: CurrentSize): Promise<void> {
  if (size.has_orders || size.left !== size.quantity) throw new VariantHasOrders(size.name);
  const { rows } = await tx.query<{ untouched: boolean }>(
    `DELETE FROM stock_buckets WHERE drop_id = $1::uuid AND ${variantRange("$2::int")}
     RETURNING remaining = size AS untouched`,
    [dropId, size.position],
  );
  if (rows.some((row) => !row.untouched)) throw new TryAgain("a purchase raced the size's removal");
  await tx.query(`DELETE FROM drop_variants WHERE drop_id = $1::uuid AND id = $2::uuid`, [dropId, size.id]);
}

/**
 * Takes `count` unsold units of the size away: its returned units first, then from its buckets' unsold tops
 * (`size` and `remaining` both fall, so the units already handed out keep their numbers). Each statement is
 * guarded to remove exactly what was planned; a miss means a purchase took a unit meanwhile: TryAgain.
 */
async function takeUnits(tx: Queryable, dropId: string, size: CurrentSize, count: number): Promise<void> {
  let left = count;
  const { rows: returned } = await tx.query<{ unit_no: number }>(
    `SELECT unit_no FROM returned_units WHERE drop_id = $1::uuid AND (unit_no - 1) / ${UNITS_PER_VARIANT} = $2::int
     ORDER BY unit_no DESC LIMIT $3::int`,
    [dropId, size.position, left],
  );
  if (returned.length > 0) {
    const { rows: gone } = await tx.query(
      `DELETE FROM returned_units WHERE drop_id = $1::uuid AND unit_no = ANY($2::int[]) RETURNING unit_no`,
      [dropId, returned.map((row) => row.unit_no)],
    );
    if (gone.length !== returned.length) throw new TryAgain("a returned unit was taken meanwhile");
    left -= gone.length;
  }
  const { rows: buckets } = await tx.query<{ bucket: number; size: number; remaining: number }>(
    `SELECT bucket, size, remaining FROM stock_buckets
     WHERE drop_id = $1::uuid AND remaining > 0 AND ${variantRange("$2::int")} ORDER BY bucket DESC`,
    [dropId, size.position],
  );
  for (const bucket of buckets) {
    if (left === 0) break;
    const take = Math.min(left, bucket.remaining);
    // A bucket left with no unit at all (none handed out, all taken) goes: a bucket holds at least one unit.
    const { rows } =
      take === bucket.size
        ? await tx.query(
            `DELETE FROM stock_buckets WHERE drop_id = $1::uuid AND bucket = $2::int AND remaining = size
             RETURNING bucket`,
            [dropId, bucket.bucket],
          )
        : await tx.query(
            `UPDATE stock_buckets SET remaining = remaining - $3::int, size = size - $3::int
             WHERE drop_id = $1::uuid AND bucket = $2::int AND remaining >= $3::int RETURNING bucket`,
            [dropId, bucket.bucket, take],
          );
    if (rows.length !== 1) throw new TryAgain("a purchase took a unit of the size meanwhile");
    left -= take;
  }
  if (left > 0) throw new TryAgain("units of the size were sold meanwhile");
}
