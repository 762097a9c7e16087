/**
 * The purchase: a batch of buyers of one drop (one buyer at low load) served by the database in one
 * transaction, in one of two forms. "cte" is one data-modifying statement (one round trip); "transaction"
 * is the same work as BEGIN; SELECT; UPDATE ... RETURNING; INSERT; COMMIT on one connection, for a backend
 * that refuses data-modifying CTEs (purchase-steps.ts). The SQL both share is in purchase-sql.ts.
 */
import { type Database, sqlState } from "../../db/database";
import { UNITS_PER_VARIANT } from "../../domain/purchase/variants";
import { ORDER_COLUMNS, type OrderRow, toOrder } from "../rows";
import {
  claimSql,
  type MemberRow,
  memberOutcome,
  memberSelect,
  PLACED_COLUMNS,
  readCtes,
  stockCte,
} from "./purchase-sql";
import { purchaseInSteps } from "./purchase-steps";
import type { KeyedOrder, PurchaseBatch, PurchaseForm, PurchaseOutcome } from "./purchase-types";

// The purchase's types live apart so that purchase-sql.ts and purchase-steps.ts need not import this file.
export type { BatchMember, KeyedOrder, PurchaseBatch, PurchaseForm, PurchaseOutcome } from "./purchase-types";

/**
 * Serves a batch in one transaction. Returns one outcome per member, in order, or undefined when the drop
 * does not exist. Throws the database's error (a unique violation, a conflict, a lost connection) for the
 * whole batch: nothing of it was written unless the connection broke during COMMIT.
 */
export function purchaseBatch(
  db: Database,
  form: PurchaseForm,
  batch: PurchaseBatch,
): Promise<PurchaseOutcome[] | undefined> {
  return form === "cte"
    ? purchaseInOneStatement(db, batch)
    : db.transaction((tx) => purchaseInSteps(tx, batch));
}

async function purchaseInOneStatement(db: Database, batch: PurchaseBatch) {
  const { members } = batch;
  const { rows } = await db.query<MemberRow>(
    `WITH ${readCtes("$10::int")}, ${stockCte("$8::int")},
     -- MATERIALIZED: referenced once, the CTE would be inlined into the claim's join and its count run
     -- again for every bucket row the claim looks at (40 counts of the batch at 40 live buckets).
     demand AS MATERIALIZED (SELECT count(*)::int AS n FROM eligible),
     claimed AS (${claimSql("demand.n", "$6::int", "$8::int", "demand")}),
     placed AS (
       -- Each eligible member's rank falls in one claimed bucket's range (before, before + take], whose
       -- units are contiguous: a range join of members x claimed buckets (a few rows each), where
       -- expanding every unit with generate_series and matching ranks had compared members x units.
       -- Fan and key are read from their arrays by the member's index, as the other columns are.
       INSERT INTO orders (drop_id, unit_no, fan, fan_shown, fan_slot, price_cents, attempts, idempotency_key,
                          request_fingerprint)
       SELECT $1::uuid, claimed.last_unit - claimed.take + (eligible.rank - claimed.before),
              ($2::text[])[eligible.n], ($7::text[])[eligible.n], eligible.fan_slot,
              coalesce($9::int, the_drop.price_cents),
              ($5::int[])[eligible.n], ($3::text[])[eligible.n], ($4::text[])[eligible.n]
       FROM eligible JOIN claimed
         ON eligible.rank > claimed.before AND eligible.rank <= claimed.before + claimed.take
       CROSS JOIN the_drop
       RETURNING ${PLACED_COLUMNS}, idempotency_key
     )
     ${memberSelect("LEFT JOIN placed p ON p.idempotency_key = request.idempotency_key")}`,
    [
      batch.dropId,
      members.map((m) => m.fan),
      members.map((m) => m.idempotencyKey),
      members.map((m) => m.fingerprint),
      members.map((m) => m.attemptNumber),
      batch.startBucket,
      members.map((m) => m.fanShown),
      batch.variant ?? 0,
      batch.variantPriceCents ?? null,
      batch.variantsRevision ?? 0,
    ],
    { name: "purchase_batch" },
  );
  if (rows.length === 0) return undefined;
  // Every bucket is empty: units a seller took back (refund, cancel), if any, are claimed by the steps
  // form. Only sold-out batches pay this second transaction (until the sold-out cache answers them).
  if (rows.some((row) => row.rank !== null && !row.had_stock))
    return db.transaction((tx) => purchaseInSteps(tx, batch));
  return rows.map((row, i) => memberOutcome(row, members[i]!, batch.dropId, batch.variantPriceCents));
}

/**
 * Asks the backend, once, whether it runs a data-modifying CTE, with one that changes nothing. A refusal
 * (0A000 feature_not_supported, or 42601 syntax error on WITH ... UPDATE) means the fallback form.
 * Any other error (the database is down) is thrown: start-up should not guess.
 */
export async function probePurchaseForm(db: Database): Promise<PurchaseForm> {
  try {
    await db.query(
      `WITH probe AS (
         UPDATE stock_buckets SET remaining = remaining WHERE false RETURNING remaining
       ) SELECT count(*)::int AS n FROM probe`,
    );
    return "cte";
  } catch (error) {
    const state = sqlState(error);
    if (state === "0A000" || state === "42601") return "transaction";
    throw error;
  }
}

export async function findOrderByKey(
  db: Database,
  dropId: string,
  idempotencyKey: string,
): Promise<KeyedOrder | undefined> {
  const { rows } = await db.query<OrderRow & { request_fingerprint: string | null }>(
    `SELECT ${ORDER_COLUMNS}, request_fingerprint FROM orders
     WHERE drop_id = $1::uuid AND idempotency_key = $2::text`,
    [dropId, idempotencyKey],
    { name: "find_order_by_key" },
  );
  const row = rows[0];
  return row && { order: toOrder(row), fingerprint: row.request_fingerprint };
}

/**
 * A page of a drop's idempotency keys in ascending order, after `afterKey` (keyset on the unique index);
 * with `variant` (a position), only the keys that bought that variant.
 */
export async function listOrderKeys(
  db: Database,
  dropId: string,
  limit: number,
  afterKey?: string,
  variant?: number,
): Promise<string[]> {
  const { rows } = await db.query<{ idempotency_key: string }>(
    `SELECT idempotency_key FROM orders
     WHERE drop_id = $1::uuid AND ($2::text IS NULL OR idempotency_key > $2::text)
       AND ($4::int IS NULL OR (unit_no - 1) / ${UNITS_PER_VARIANT} = $4::int)
     ORDER BY idempotency_key
     LIMIT $3::int`,
    [dropId, afterKey ?? null, limit, variant ?? null],
  );
  return rows.map((row) => row.idempotency_key);
}
