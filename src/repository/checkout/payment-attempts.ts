/**
 * The durable record of every payment attempt on a hold order (sql/0090): written before the provider is
 * called, updated with its answer and with how the money was settled. An attempt left open by a crash or a
 * database outage is found by the reconciler (domain/checkout/payment-reconciler.ts), which settles it.
 *
 * States: `started` (the provider may or may not have been reached), `requires_action` (waiting for the
 * fan's second step), `succeeded` (money taken, not yet settled) are open; `kept` (the payment paid its
 * order), `refunded`, `declined` (no money taken) and `abandoned` (the provider never saw it) are settled.
 * Every change is one conditional autocommit UPDATE, so DSQL runs them as they are.
 */
import type { Queryable } from "../../db/database";

export type AttemptState =
  | "started"
  | "requires_action"
  | "succeeded"
  | "declined"
  | "kept"
  | "refunded"
  | "abandoned";

export type SettledState = "declined" | "kept" | "refunded" | "abandoned";

export interface PaymentAttempt {
  id: string;
  orderId: string;
  dropId: string;
  provider: string;
  amountCents: number;
  currency: string;
  paymentRef: string | null;
  state: AttemptState;
  createdAt: Date;
  settledBy: string | null;
}

interface AttemptRow {
  id: string;
  order_id: string;
  drop_id: string;
  provider: string;
  amount_cents: number;
  currency: string;
  payment_ref: string | null;
  state: AttemptState;
  created_at: Date;
  settled_by: string | null;
}

const COLUMNS =
  "id, order_id, drop_id, provider, amount_cents, currency, payment_ref, state, created_at, settled_by";
/** An answer from the provider may still arrive for an attempt the reconciler gave up as never seen. */
const OPEN = "('started', 'requires_action', 'succeeded')";
const ANSWERABLE = "('started', 'requires_action', 'succeeded', 'abandoned')";

const toAttempt = (row: AttemptRow): PaymentAttempt => ({
  id: row.id,
  orderId: row.order_id,
  dropId: row.drop_id,
  provider: row.provider,
  amountCents: row.amount_cents,
  currency: row.currency,
  paymentRef: row.payment_ref,
  state: row.state,
  createdAt: new Date(row.created_at),
  settledBy: row.settled_by,
});

/** Records an attempt before the provider is called; `paymentRef` when the payment already exists (a second step). */
export async function startPaymentAttempt(
  db: Queryable,
  attempt: {
    orderId: string;
    dropId: string;
    provider: string;
    amountCents: number;
    currency: string;
    paymentRef?: string;
  },
): Promise<PaymentAttempt> {
  const { rows } = await db.query<AttemptRow>(
    `INSERT INTO payment_attempts (order_id, drop_id, provider, amount_cents, currency, payment_ref)
     VALUES ($1::uuid, $2::uuid, $3::text, $4::int, $5::text, $6::text)
     RETURNING ${COLUMNS}`,
    [
      attempt.orderId,
      attempt.dropId,
      attempt.provider,
      attempt.amountCents,
      attempt.currency,
      attempt.paymentRef ?? null,
    ],
  );
  return toAttempt(rows[0]!);
}

/** The provider's answer: which payment, and whether it took money, declined or waits for the fan. */
export async function recordPaymentAnswer(
  db: Queryable,
  attemptId: string,
  answer: { paymentRef: string; state: "requires_action" | "succeeded" | "declined" },
): Promise<void> {
  await db.query(
    `UPDATE payment_attempts SET payment_ref = $2::text, state = $3::text, updated_at = now()
     WHERE id = $1::uuid AND state IN ${ANSWERABLE}`,
    [attemptId, answer.paymentRef, answer.state],
  );
}

/**
 * How the attempt's money ended, and its payment when only now known; an attempt already settled is left
 * as it is. `by` names who settled it.
 */
export async function settlePaymentAttempt(
  db: Queryable,
  attemptId: string,
  state: SettledState,
  by: string,
  paymentRef?: string,
): Promise<void> {
  await db.query(
    `UPDATE payment_attempts
     SET state = $2::text, settled_by = $3::text, payment_ref = coalesce($4::text, payment_ref),
         updated_at = now(), lease_until = NULL
     WHERE id = $1::uuid AND state IN ${OPEN}`,
    [attemptId, state, by, paymentRef ?? null],
  );
}

/** Settles the open attempts that carried one payment (a webhook applies a payment, not an attempt). */
export async function settleAttemptsOfPayment(
  db: Queryable,
  orderId: string,
  paymentRef: string,
  state: SettledState,
  by: string,
): Promise<void> {
  await db.query(
    `UPDATE payment_attempts SET state = $3::text, settled_by = $4::text, updated_at = now(), lease_until = NULL
     WHERE order_id = $1::uuid AND payment_ref = $2::text AND state IN ${OPEN}`,
    [orderId, paymentRef, state, by],
  );
}

/**
 * Open attempts at least `olderThanSeconds` old (younger ones may still be in their request) whose lease
 * is free, oldest first.
 */
export async function listOpenPaymentAttempts(
  db: Queryable,
  olderThanSeconds: number,
  limit: number,
): Promise<PaymentAttempt[]> {
  const { rows } = await db.query<AttemptRow>(
    `SELECT ${COLUMNS} FROM payment_attempts
     WHERE state IN ${OPEN} AND created_at <= now() - $1::int * interval '1 second'
       AND (lease_until IS NULL OR lease_until <= now())
     ORDER BY created_at LIMIT $2::int`,
    [olderThanSeconds, limit],
  );
  return rows.map(toAttempt);
}

/**
 * Takes the attempt for `seconds` so that one process settles it at a time: a conditional UPDATE, true
 * for one taker only (on DSQL a second taker's transaction aborts with 40001 at commit instead).
 */
export async function leasePaymentAttempt(
  db: Queryable,
  attemptId: string,
  seconds: number,
  by: string,
): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE payment_attempts SET lease_until = now() + $2::int * interval '1 second', settled_by = $3::text
     WHERE id = $1::uuid AND state IN ${OPEN} AND (lease_until IS NULL OR lease_until <= now())
     RETURNING id`,
    [attemptId, seconds, by],
  );
  return rows.length === 1;
}

/** An order's attempts, oldest first: what an operator (and a test) reads to see where its money went. */
export async function listPaymentAttempts(db: Queryable, orderId: string): Promise<PaymentAttempt[]> {
  const { rows } = await db.query<AttemptRow>(
    `SELECT ${COLUMNS} FROM payment_attempts WHERE order_id = $1::uuid ORDER BY created_at, id`,
    [orderId],
  );
  return rows.map(toAttempt);
}
