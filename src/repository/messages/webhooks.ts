/** Sellers' webhook endpoints (sql/0103), and the dev mailbox and unsubscribe list of fan email (sql/0108-0109). */
import type { Queryable } from "../../db/database";

export interface WebhookEndpoint {
  id: string;
  sellerId: string;
  url: string;
  /** Event types it receives; null for all. */
  events: string[] | null;
  createdAt: Date;
  disabledAt: Date | null;
  disabledReason: string | null;
  failingSince: Date | null;
}

/** An endpoint with the secrets that sign its requests (the previous one only while it is still valid). */
export interface SigningEndpoint extends WebhookEndpoint {
  secrets: string[];
}

interface EndpointRow {
  id: string;
  seller_id: string;
  url: string;
  events: string | null;
  created_at: Date;
  disabled_at: Date | null;
  disabled_reason: string | null;
  failing_since: Date | null;
}

const ENDPOINT_COLUMNS =
  "id, seller_id, url, events, created_at, disabled_at, disabled_reason, failing_since";

const toEndpoint = (row: EndpointRow): WebhookEndpoint => ({
  id: row.id,
  sellerId: row.seller_id,
  url: row.url,
  events: row.events === null ? null : (JSON.parse(row.events) as string[]),
  createdAt: new Date(row.created_at),
  disabledAt: row.disabled_at === null ? null : new Date(row.disabled_at),
  disabledReason: row.disabled_reason,
  failingSince: row.failing_since === null ? null : new Date(row.failing_since),
});

export async function insertEndpoint(
  db: Queryable,
  endpoint: { sellerId: string; url: string; events: string[] | null; secret: string },
): Promise<WebhookEndpoint> {
  const { rows } = await db.query<EndpointRow>(
    `INSERT INTO webhook_endpoints (seller_id, url, events, secret) VALUES ($1::uuid, $2::text, $3::text, $4::text)
     RETURNING ${ENDPOINT_COLUMNS}`,
    [
      endpoint.sellerId,
      endpoint.url,
      endpoint.events === null ? null : JSON.stringify(endpoint.events),
      endpoint.secret,
    ],
  );
  return toEndpoint(rows[0]!);
}

export async function countEndpoints(db: Queryable, sellerId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM webhook_endpoints WHERE seller_id = $1::uuid",
    [sellerId],
  );
  return rows[0]?.n ?? 0;
}

export async function listEndpoints(db: Queryable, sellerId: string): Promise<WebhookEndpoint[]> {
  const { rows } = await db.query<EndpointRow>(
    `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE seller_id = $1::uuid ORDER BY created_at, id`,
    [sellerId],
  );
  return rows.map(toEndpoint);
}

export async function findEndpoint(
  db: Queryable,
  sellerId: string,
  id: string,
): Promise<WebhookEndpoint | undefined> {
  const { rows } = await db.query<EndpointRow>(
    `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1::uuid AND seller_id = $2::uuid`,
    [id, sellerId],
  );
  return rows[0] && toEndpoint(rows[0]);
}

/** The endpoint and its valid secrets, for signing a request. */
export async function signingEndpoint(db: Queryable, id: string): Promise<SigningEndpoint | undefined> {
  const { rows } = await db.query<EndpointRow & { secret: string; previous: string | null }>(
    `SELECT ${ENDPOINT_COLUMNS}, secret,
            CASE WHEN previous_secret_until > now() THEN previous_secret END AS previous
     FROM webhook_endpoints WHERE id = $1::uuid`,
    [id],
  );
  const row = rows[0];
  return row && { ...toEndpoint(row), secrets: row.previous ? [row.secret, row.previous] : [row.secret] };
}

export async function deleteEndpoint(db: Queryable, sellerId: string, id: string): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    "DELETE FROM webhook_endpoints WHERE id = $1::uuid AND seller_id = $2::uuid RETURNING id",
    [id, sellerId],
  );
  return rows.length > 0;
}

/** A new secret; the current one keeps signing beside it for `graceHours`. */
export async function rotateEndpointSecret(
  db: Queryable,
  sellerId: string,
  id: string,
  secret: string,
  graceHours: number,
): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE webhook_endpoints SET previous_secret = secret, secret = $3::text,
       previous_secret_until = now() + $4::int * interval '1 hour'
     WHERE id = $1::uuid AND seller_id = $2::uuid RETURNING id`,
    [id, sellerId, secret, graceHours],
  );
  return rows.length > 0;
}

/** The active endpoints that fan-out sends a seller's events to. */
export async function activeEndpoints(db: Queryable, sellerId: string): Promise<WebhookEndpoint[]> {
  const { rows } = await db.query<EndpointRow>(
    `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE seller_id = $1::uuid AND disabled_at IS NULL`,
    [sellerId],
  );
  return rows.map(toEndpoint);
}

/** A 2xx: the endpoint is healthy again. */
export async function endpointSucceeded(db: Queryable, id: string): Promise<void> {
  await db.query(
    "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1::uuid AND failing_since IS NOT NULL",
    [id],
  );
}

/**
 * A failed attempt: the endpoint is failing since now unless it already was. It is disabled, with `reason`,
 * when `disable` says so (410 Gone) or when it has been failing for `disableAfterMs`. True when now disabled.
 */
export async function endpointFailed(
  db: Queryable,
  id: string,
  disable: string | undefined,
  disableAfterMs: number,
): Promise<boolean> {
  const { rows } = await db.query<{ disabled: boolean }>(
    `UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now()),
       disabled_at = CASE
         WHEN disabled_at IS NOT NULL THEN disabled_at
         WHEN $2::text IS NOT NULL OR failing_since <= now() - $3::bigint * interval '1 millisecond' THEN now()
       END,
       disabled_reason = CASE
         WHEN disabled_at IS NOT NULL THEN disabled_reason
         WHEN $2::text IS NOT NULL THEN $2::text
         WHEN failing_since <= now() - $3::bigint * interval '1 millisecond'
           THEN 'Every delivery failed for ' || round($3::bigint / 3600000.0) || ' hours.'
       END
     WHERE id = $1::uuid RETURNING disabled_at IS NOT NULL AS disabled`,
    [id, disable ?? null, disableAfterMs],
  );
  return rows[0]?.disabled ?? false;
}

/** Mail kept in the dev mailbox (no SMTP server configured). */
export interface KeptMail {
  id: string;
  recipient: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  createdAt: Date;
}

export async function keepMail(
  db: Queryable,
  deliveryId: string,
  mail: Omit<KeptMail, "id" | "createdAt">,
): Promise<void> {
  await db.query(
    `INSERT INTO mailbox (delivery_id, recipient, subject, text_body, html_body, headers)
     VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::text, $6::text)
     ON CONFLICT (delivery_id) DO NOTHING`,
    [deliveryId, mail.recipient, mail.subject, mail.text, mail.html, JSON.stringify(mail.headers)],
  );
}

export async function listMailbox(db: Queryable, limit: number): Promise<KeptMail[]> {
  const { rows } = await db.query<{
    id: string;
    recipient: string;
    subject: string;
    text_body: string;
    html_body: string;
    headers: string;
    created_at: Date;
  }>(
    `SELECT id, recipient, subject, text_body, html_body, headers, created_at FROM mailbox
     ORDER BY created_at DESC, id DESC LIMIT $1::int`,
    [limit],
  );
  return rows.map((row) => ({
    id: row.id,
    recipient: row.recipient,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    headers: JSON.parse(row.headers) as Record<string, string>,
    createdAt: new Date(row.created_at),
  }));
}

export async function suppressAddress(db: Queryable, address: string): Promise<void> {
  await db.query(
    "INSERT INTO mail_suppressions (address) VALUES ($1::text) ON CONFLICT (address) DO NOTHING",
    [address],
  );
}

export async function isSuppressed(db: Queryable, address: string): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM mail_suppressions WHERE address = $1::text", [address]);
  return rows.length > 0;
}

/** What an email about an order needs beyond its event: the drop and the shop. */
export interface MailContext {
  shopName: string;
  dropTitle: string;
  slug: string;
  currency: string;
  /** The order is still held (a reminder is sent only then). */
  stillHeld: boolean;
  /**
   * The drop sells without payment (instant), so a held order there is a waitlist offer the fan claims with
   * one button, not one they pay for (docs/draws.md, "Claiming an offer").
   */
  claimOnly: boolean;
}

export async function mailContext(
  db: Queryable,
  dropId: string,
  orderId: string | null,
): Promise<MailContext | undefined> {
  const { rows } = await db.query<{
    name: string;
    title: string;
    slug: string;
    currency: string;
    still_held: boolean;
    claim_only: boolean;
  }>(
    `SELECT s.name, d.title, d.slug, d.currency, coalesce(d.hold_seconds, 0) = 0 AS claim_only,
            EXISTS (SELECT 1 FROM orders o WHERE o.id = $2::uuid AND o.status = 'held' AND o.expires_at > now())
              AS still_held
     FROM drops d JOIN sellers s ON s.id = d.seller_id WHERE d.id = $1::uuid`,
    [dropId, orderId],
  );
  const row = rows[0];
  return (
    row && {
      shopName: row.name,
      dropTitle: row.title,
      slug: row.slug,
      currency: row.currency,
      stillHeld: row.still_held,
      claimOnly: row.claim_only === true,
    }
  );
}
