/** The purchase's fallback form, for a backend that refuses data-modifying CTEs (see purchase.ts). */
import type { Queryable } from "../../db/database";
import {
  claimSql,
  type MemberRow,
  memberOutcome,
  memberSelect,
  PLACED_COLUMNS,
  type PlacedRow,
  placedOrder,
  RETURNED_CLAIM_SQL,
  readCtes,
  stockCte,
} from "./purchase-sql";
import type { PurchaseBatch, PurchaseOutcome } from "./purchase-types";

/**
 * The fallback form: read the members' standing, claim units with a conditional decrement, insert the
 * orders, in one transaction. The same guards as the one-statement form: `remaining >= take` in the
 * UPDATE, CHECK (remaining >= 0) and the unique unit / key / fan-slot constraints.
 */
export async function purchaseInSteps(
  tx: Queryable,
  batch: PurchaseBatch,
): Promise<PurchaseOutcome[] | undefined> {
  const { members } = batch;
  const read = await tx.query<MemberRow>(
    `WITH ${readCtes("$5::int")}, ${stockCte("$4::int")} ${memberSelect()}`,
    [
      batch.dropId,
      members.map((m) => m.fan),
      members.map((m) => m.idempotencyKey),
      batch.variant ?? 0,
      batch.variantsRevision ?? 0,
    ],
    { name: "purchase_steps_read" },
  );
  if (read.rows.length === 0) return undefined;
  const outcomes = () =>
    read.rows.map((row) => memberOutcome(row, members[row.n - 1]!, batch.dropId, batch.variantPriceCents));
  const eligible = read.rows.filter((row) => row.rank !== null);
  if (eligible.length === 0) return outcomes();
  const unitByRank = new Map<number, number>();
  // Buckets empty in this snapshot (they never refill): units a seller took back, if any (refund, cancel).
  const fromReturned = !read.rows[0]!.had_stock;
  if (fromReturned) {
    const returned = await tx.query<{ unit_no: number }>(
      RETURNED_CLAIM_SQL,
      [batch.dropId, eligible.length, batch.variant ?? 0],
      { name: "purchase_steps_returned" },
    );
    const units = returned.rows.map((row) => row.unit_no).sort((a, b) => a - b);
    for (const [i, unit] of units.entries()) unitByRank.set(i + 1, unit);
    // None left: every member hears "sold out". Some: those not served try again (one may be left).
    if (units.length === 0) return outcomes();
  } else {
    const claimed = await tx.query<{ before: number; take: number; last_unit: number }>(
      claimSql("$3::int", "$2::int", "$4::int"),
      [batch.dropId, batch.startBucket, eligible.length, batch.variant ?? 0],
      { name: "purchase_steps_claim" },
    );
    for (const { before, take, last_unit } of claimed.rows) {
      for (let i = 1; i <= take; i++) unitByRank.set(before + i, last_unit - take + i);
    }
  }
  const served = eligible.flatMap((row) => {
    const unit = unitByRank.get(row.rank!);
    return unit === undefined ? [] : [{ row, unit, member: members[row.n - 1]! }];
  });
  const outcomeOf = (outcome: PurchaseOutcome) => (fromReturned ? { ...outcome, hadStock: true } : outcome);
  if (served.length === 0) return outcomes().map(outcomeOf);
  const priceCents = batch.variantPriceCents ?? served[0]!.row.drop_price_cents;
  const placed = await tx.query<PlacedRow & { idempotency_key: string }>(
    `INSERT INTO orders (drop_id, unit_no, fan, fan_shown, fan_slot, price_cents, attempts, idempotency_key,
                         request_fingerprint)
     SELECT $1::uuid, s.unit_no, s.fan, s.fan_shown, s.fan_slot, $2::int, s.attempts, s.idempotency_key, s.fingerprint
     FROM unnest($3::int[], $4::text[], $5::int[], $6::int[], $7::text[], $8::text[], $9::text[])
          AS s(unit_no, fan, fan_slot, attempts, idempotency_key, fingerprint, fan_shown)
     RETURNING ${PLACED_COLUMNS}, idempotency_key`,
    [
      batch.dropId,
      priceCents,
      served.map((s) => s.unit),
      served.map((s) => s.member.fan),
      served.map((s) => s.row.fan_slot),
      served.map((s) => s.member.attemptNumber),
      served.map((s) => s.member.idempotencyKey),
      served.map((s) => s.member.fingerprint),
      served.map((s) => s.member.fanShown),
    ],
    { name: "purchase_steps_insert" },
  );
  const byKey = new Map(placed.rows.map((row) => [row.idempotency_key, row]));
  return outcomes().map((outcome, i) => {
    const member = members[i]!;
    const row = byKey.get(member.idempotencyKey);
    return { ...outcomeOf(outcome), placed: row && placedOrder(batch.dropId, member, priceCents, row) };
  });
}
