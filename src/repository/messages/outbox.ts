/**
 * Deliveries (sql/0105): one row per (event, receiver), leased by the dispatcher while it sends. A lease is
 * taken by a conditional UPDATE that re-checks the row is still free (PostgreSQL at READ COMMITTED re-reads
 * it after waiting; at REPEATABLE READ and on DSQL one of two racing processes fails with 40001), so two
 * processes never send the same delivery at the same moment; a lease that runs out frees it again.
 */
import type { Queryable } from "../../db/database";
import { EVENT_COLUMNS, type EventRow, eventVariantSql, type StoredEvent, toEvent } from "../rows";

export type DeliveryStatus = "pending" | "delivered" | "failed" | "skipped";

export interface NewDelivery {
  eventId: string;
  kind: "webhook" | "email";
  /** 'webhook:<endpoint id>' or 'email:<template>': an event reaches each target once. */
  target: string;
  endpointId?: string | undefined;
  recipient?: string | undefined;
  /** When to send first; now when absent (a hold reminder waits until shortly before the hold lapses). */
  notBefore?: Date | undefined;
}

/** Adds deliveries; one that exists already (same event and target) is left as it is. */
export async function addDeliveries(tx: Queryable, deliveries: NewDelivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  await tx.query(
    `INSERT INTO deliveries (event_id, kind, target, endpoint_id, recipient, next_attempt_at)
     SELECT d.event_id, d.kind, d.target, d.endpoint_id, d.recipient, coalesce(d.not_before, now())
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::timestamptz[])
          AS d(event_id, kind, target, endpoint_id, recipient, not_before)
     ON CONFLICT (event_id, target) DO NOTHING`,
    [
      deliveries.map((d) => d.eventId),
      deliveries.map((d) => d.kind),
      deliveries.map((d) => d.target),
      deliveries.map((d) => d.endpointId ?? null),
      deliveries.map((d) => d.recipient ?? null),
      deliveries.map((d) => d.notBefore?.toISOString() ?? null),
    ],
  );
}

/** A leased delivery with its event, ready to send. */
export interface LeasedDelivery {
  id: string;
  kind: "webhook" | "email";
  target: string;
  endpointId: string | null;
  recipient: string | null;
  attempts: number;
  event: StoredEvent;
}

/**
 * Leases up to `limit` due deliveries for `owner` for `leaseMs`. Candidates are drawn from the oldest due
 * (four times the limit) in a random order, so processes that lease at once mostly pick different rows.
 */
export async function leaseDueDeliveries(
  db: Queryable,
  owner: string,
  limit: number,
  leaseMs: number,
): Promise<LeasedDelivery[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE deliveries SET leased_until = now() + $2::int * interval '1 millisecond', lease_owner = $1::text
     WHERE id IN (SELECT id FROM (
                    SELECT id FROM deliveries
                    WHERE status = 'pending' AND next_attempt_at <= now()
                      AND (leased_until IS NULL OR leased_until <= now())
                    ORDER BY next_attempt_at LIMIT $3::int * 4) AS due
                  ORDER BY random() LIMIT $3::int)
       AND status = 'pending' AND (leased_until IS NULL OR leased_until <= now())
     RETURNING id`,
    [owner, leaseMs, limit],
  );
  if (rows.length === 0) return [];
  return leasedById(
    db,
    rows.map((row) => row.id),
  );
}

/** Leases one delivery now, whatever its schedule (a test ping, a replay), if no one else holds it. */
export async function leaseDelivery(
  db: Queryable,
  id: string,
  owner: string,
  leaseMs: number,
): Promise<LeasedDelivery | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE deliveries SET leased_until = now() + $3::int * interval '1 millisecond', lease_owner = $2::text
     WHERE id = $1::uuid AND status = 'pending' AND (leased_until IS NULL OR leased_until <= now())
     RETURNING id`,
    [id, owner, leaseMs],
  );
  return rows.length === 0 ? undefined : (await leasedById(db, [id]))[0];
}

async function leasedById(db: Queryable, ids: string[]): Promise<LeasedDelivery[]> {
  const { rows } = await db.query<
    EventRow & {
      delivery_id: string;
      kind: "webhook" | "email";
      target: string;
      endpoint_id: string | null;
      recipient: string | null;
      attempts: number;
    }
  >(
    `SELECT d.id AS delivery_id, d.kind, d.target, d.endpoint_id, d.recipient, d.attempts,
            ${EVENT_COLUMNS.split(", ")
              .map((c) => `e.${c}`)
              .join(", ")}, ${eventVariantSql("e")} AS variant
     FROM deliveries d JOIN events e ON e.id = d.event_id
     WHERE d.id = ANY($1::uuid[])`,
    [ids],
  );
  return rows.map((row) => ({
    id: row.delivery_id,
    kind: row.kind,
    target: row.target,
    endpointId: row.endpoint_id,
    recipient: row.recipient,
    attempts: row.attempts,
    event: toEvent(row),
  }));
}

/** What became of one attempt. `retryInMs` set: try again then; absent: the delivery ends as `status`. */
export interface AttemptResult {
  status: DeliveryStatus;
  httpStatus?: number | undefined;
  error?: string | undefined;
  retryInMs?: number | undefined;
}

/**
 * Records an attempt and frees the lease; only the lease's owner may (a process whose lease ran out and was
 * taken over records nothing: the new owner's attempt counts). True when recorded.
 */
export async function finishAttempt(
  db: Queryable,
  id: string,
  owner: string,
  result: AttemptResult,
): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE deliveries SET status = $3::text, attempts = attempts + 1, last_status = $4::int,
       last_error = $5::text, leased_until = NULL, lease_owner = NULL,
       next_attempt_at = CASE WHEN $6::int IS NULL THEN next_attempt_at
                              ELSE now() + $6::int * interval '1 millisecond' END,
       finished_at = CASE WHEN $3::text = 'pending' THEN NULL ELSE now() END
     WHERE id = $1::uuid AND lease_owner = $2::text
     RETURNING id`,
    [
      id,
      owner,
      result.retryInMs === undefined ? result.status : "pending",
      result.httpStatus ?? null,
      result.error?.slice(0, 500) ?? null,
      result.retryInMs === undefined ? null : Math.round(result.retryInMs),
    ],
  );
  return rows.length > 0;
}

/**
 * Records a tick's attempts in one statement (finishAttempt for many): each row only if `owner` still holds
 * its lease. Returns the ids recorded.
 */
export async function finishAttempts(
  db: Queryable,
  owner: string,
  attempts: { id: string; result: AttemptResult }[],
): Promise<string[]> {
  if (attempts.length === 0) return [];
  const retry = (r: AttemptResult) => (r.retryInMs === undefined ? null : Math.round(r.retryInMs));
  const { rows } = await db.query<{ id: string }>(
    `UPDATE deliveries d SET status = a.status, attempts = d.attempts + 1, last_status = a.http_status,
       last_error = a.error, leased_until = NULL, lease_owner = NULL,
       next_attempt_at = CASE WHEN a.retry_ms IS NULL THEN d.next_attempt_at
                              ELSE now() + a.retry_ms * interval '1 millisecond' END,
       finished_at = CASE WHEN a.status = 'pending' THEN NULL ELSE now() END
     FROM unnest($2::uuid[], $3::text[], $4::int[], $5::text[], $6::int[])
          AS a(id, status, http_status, error, retry_ms)
     WHERE d.id = a.id AND d.lease_owner = $1::text
     RETURNING d.id`,
    [
      owner,
      attempts.map((a) => a.id),
      attempts.map((a) => (a.result.retryInMs === undefined ? a.result.status : "pending")),
      attempts.map((a) => a.result.httpStatus ?? null),
      attempts.map((a) => a.result.error?.slice(0, 500) ?? null),
      attempts.map((a) => retry(a.result)),
    ],
  );
  return rows.map((row) => row.id);
}

/** A delivery as the seller's log shows it. */
export interface DeliveryLogEntry {
  id: string;
  eventId: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
}

/** An endpoint's deliveries, newest first (or the one `onlyDeliveryId`). */
export async function listEndpointDeliveries(
  db: Queryable,
  endpointId: string,
  limit: number,
  onlyDeliveryId?: string,
): Promise<DeliveryLogEntry[]> {
  const { rows } = await db.query<{
    id: string;
    event_id: string;
    type: string;
    status: DeliveryStatus;
    attempts: number;
    last_status: number | null;
    last_error: string | null;
    next_attempt_at: Date;
    created_at: Date;
  }>(
    `SELECT d.id, d.event_id, e.type, d.status, d.attempts, d.last_status, d.last_error, d.next_attempt_at, d.created_at
     FROM deliveries d JOIN events e ON e.id = d.event_id
     WHERE d.endpoint_id = $1::uuid AND ($3::uuid IS NULL OR d.id = $3::uuid)
     ORDER BY d.created_at DESC, e.position DESC NULLS FIRST, d.id DESC LIMIT $2::int`,
    [endpointId, limit, onlyDeliveryId ?? null],
  );
  return rows.map((row) => ({
    id: row.id,
    eventId: row.event_id,
    type: row.type,
    status: row.status,
    attempts: row.attempts,
    lastStatus: row.last_status,
    lastError: row.last_error,
    nextAttemptAt: row.status === "pending" ? new Date(row.next_attempt_at) : null,
    createdAt: new Date(row.created_at),
  }));
}

/** Puts an endpoint's delivery back in the queue, due now (a replay). False when it is not that endpoint's. */
export async function requeueDelivery(
  db: Queryable,
  endpointId: string,
  deliveryId: string,
): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE deliveries SET status = 'pending', next_attempt_at = now(), finished_at = NULL
     WHERE id = $1::uuid AND endpoint_id = $2::uuid
     RETURNING id`,
    [deliveryId, endpointId],
  );
  return rows.length > 0;
}

/** A ping for one endpoint: an event of no drop, and its delivery, in one transaction. */
export async function addPing(
  db: { transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> },
  endpointId: string,
): Promise<string> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO events (type, data) VALUES ('ping', $1::text) RETURNING id`,
      [JSON.stringify({ endpointId })],
    );
    const eventId = rows[0]!.id;
    const delivery = await tx.query<{ id: string }>(
      `INSERT INTO deliveries (event_id, kind, target, endpoint_id) VALUES ($1::uuid, 'webhook', $2::text, $3::uuid)
       RETURNING id`,
      [eventId, `webhook:${endpointId}`, endpointId],
    );
    return delivery.rows[0]!.id;
  });
}

/** One delivery of an endpoint, as the log shows it. */
export async function findEndpointDelivery(
  db: Queryable,
  endpointId: string,
  deliveryId: string,
): Promise<DeliveryLogEntry | undefined> {
  return (await listEndpointDeliveries(db, endpointId, 1, deliveryId))[0];
}
