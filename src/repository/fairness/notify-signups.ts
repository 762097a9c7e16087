/**
 * "Email me at go-live" (sql/0124): one signup per fan and drop, confirmed by a link, mailed once at
 * go-live. A sender leases due signups by a conditional UPDATE that re-checks they are still free (at READ
 * COMMITTED the row is re-read after waiting; at REPEATABLE READ and on DSQL one of two racing processes
 * fails with 40001 and retries), so two processes never mail the same signup at once.
 */
import type { Queryable } from "../../db/database";

export interface NotifySignup {
  id: string;
  dropId: string;
  email: string;
  confirmed: boolean;
  notified: boolean;
}

interface SignupRow {
  id: string;
  drop_id: string;
  email: string;
  confirmed_at: Date | null;
  notified_at: Date | null;
}

const toSignup = (row: SignupRow): NotifySignup => ({
  id: row.id,
  dropId: row.drop_id,
  email: row.email,
  confirmed: row.confirmed_at !== null,
  notified: row.notified_at !== null,
});

/** The fan's signup for the drop, made if new; `created` says whether this call made it. */
export async function addNotifySignup(
  db: Queryable,
  signup: { dropId: string; fan: string; email: string },
): Promise<{ signup: NotifySignup; created: boolean }> {
  const inserted = await db.query<SignupRow>(
    `INSERT INTO notify_signups (drop_id, fan, email) VALUES ($1::uuid, $2::text, $3::text)
     ON CONFLICT (drop_id, fan) DO NOTHING
     RETURNING id, drop_id, email, confirmed_at, notified_at`,
    [signup.dropId, signup.fan, signup.email],
  );
  if (inserted.rows[0]) return { signup: toSignup(inserted.rows[0]), created: true };
  const { rows } = await db.query<SignupRow>(
    `SELECT id, drop_id, email, confirmed_at, notified_at FROM notify_signups
     WHERE drop_id = $1::uuid AND fan = $2::text`,
    [signup.dropId, signup.fan],
  );
  return { signup: toSignup(rows[0]!), created: false };
}

export async function findNotifySignup(db: Queryable, id: string): Promise<NotifySignup | undefined> {
  const { rows } = await db.query<SignupRow>(
    "SELECT id, drop_id, email, confirmed_at, notified_at FROM notify_signups WHERE id = $1::uuid",
    [id],
  );
  return rows[0] && toSignup(rows[0]);
}

/** Confirms a signup (again is harmless); undefined when there is no such signup. */
export async function confirmNotifySignup(db: Queryable, id: string): Promise<NotifySignup | undefined> {
  const { rows } = await db.query<SignupRow>(
    `UPDATE notify_signups SET confirmed_at = coalesce(confirmed_at, now()) WHERE id = $1::uuid
     RETURNING id, drop_id, email, confirmed_at, notified_at`,
    [id],
  );
  return rows[0] && toSignup(rows[0]);
}

/** A signup leased for its go-live email, with what the email says. */
export interface DueNotification {
  id: string;
  email: string;
  dropId: string;
  slug: string;
  title: string;
  shopName: string;
}

/**
 * Leases up to `limit` confirmed, not yet mailed signups of drops that are live on the database clock (not
 * cancelled), for `leaseMs`. The candidates are read first, then taken by one conditional UPDATE.
 */
export async function leaseDueNotifications(
  db: Queryable,
  owner: string,
  leaseMs: number,
  limit: number,
): Promise<DueNotification[]> {
  const { rows: candidates } = await db.query<{ id: string }>(
    `SELECT s.id FROM notify_signups s JOIN drops d ON d.id = s.drop_id
     WHERE s.notified_at IS NULL AND s.confirmed_at IS NOT NULL
       AND (s.leased_until IS NULL OR s.leased_until < now())
       AND d.starts_at <= now() AND d.cancelled_at IS NULL
     LIMIT $1::int`,
    [limit],
  );
  if (candidates.length === 0) return [];
  const { rows: leased } = await db.query<{ id: string }>(
    `UPDATE notify_signups SET leased_until = now() + $3::int * interval '1 millisecond', lease_owner = $2::text,
                               attempts = attempts + 1
     WHERE id = ANY($1::uuid[]) AND notified_at IS NULL AND (leased_until IS NULL OR leased_until < now())
     RETURNING id`,
    [candidates.map((c) => c.id), owner, leaseMs],
  );
  if (leased.length === 0) return [];
  const { rows } = await db.query<{
    id: string;
    email: string;
    drop_id: string;
    slug: string;
    title: string;
    shop_name: string;
  }>(
    `SELECT s.id, s.email, s.drop_id, d.slug, d.title, sl.name AS shop_name
     FROM notify_signups s JOIN drops d ON d.id = s.drop_id JOIN sellers sl ON sl.id = d.seller_id
     WHERE s.id = ANY($1::uuid[])`,
    [leased.map((l) => l.id)],
  );
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    dropId: r.drop_id,
    slug: r.slug,
    title: r.title,
    shopName: r.shop_name,
  }));
}

/** Marks a leased signup mailed (only while this owner holds it); false when the lease was lost. */
export async function markNotified(db: Queryable, id: string, owner: string): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE notify_signups SET notified_at = now(), leased_until = NULL
     WHERE id = $1::uuid AND lease_owner = $2::text AND notified_at IS NULL RETURNING id`,
    [id, owner],
  );
  return rows.length === 1;
}

/** A send that failed: the lease is kept until `retryMs` from now, then another tick tries again. */
export async function retryNotificationLater(
  db: Queryable,
  id: string,
  owner: string,
  retryMs: number,
): Promise<void> {
  await db.query(
    `UPDATE notify_signups SET leased_until = now() + $3::int * interval '1 millisecond'
     WHERE id = $1::uuid AND lease_owner = $2::text AND notified_at IS NULL`,
    [id, owner, retryMs],
  );
}

/** The seller's view of a drop's fairness: signups, confirmed, mailed, and distinct buyers. */
export async function fairnessCounts(
  db: Queryable,
  dropId: string,
): Promise<{ signups: number; confirmed: number; notified: number; buyers: number }> {
  const { rows } = await db.query<{ signups: number; confirmed: number; notified: number; buyers: number }>(
    `SELECT (SELECT count(*)::int FROM notify_signups WHERE drop_id = $1::uuid) AS signups,
            (SELECT count(*)::int FROM notify_signups WHERE drop_id = $1::uuid AND confirmed_at IS NOT NULL)
              AS confirmed,
            (SELECT count(*)::int FROM notify_signups WHERE drop_id = $1::uuid AND notified_at IS NOT NULL)
              AS notified,
            (SELECT count(DISTINCT fan)::int FROM orders WHERE drop_id = $1::uuid) AS buyers`,
    [dropId],
  );
  return rows[0]!;
}
