/** Wrong passwords, for the sign-in throttle (src/domain/accounts/sign-in-throttle.ts). */
import type { Database } from "../../db/database";

export interface RecentFailures {
  /** This client's failures on this account since the window began, and the latest one. */
  pair: number;
  pairLast: Date | null;
  /** This client's failures on any account since the window began, and the latest one. */
  client: number;
  clientLast: Date | null;
  /** Failures on this account from any client since the window began. */
  account: number;
}

export async function recentSignInFailures(
  db: Database,
  email: string,
  client: string,
  since: Date,
): Promise<RecentFailures> {
  const { rows } = await db.query<{
    pair: number;
    pair_last: Date | string | null;
    client: number;
    client_last: Date | string | null;
    account: number;
  }>(
    `SELECT count(*) FILTER (WHERE email = $1::text)::int AS pair,
            max(failed_at) FILTER (WHERE email = $1::text) AS pair_last,
            count(*)::int AS client,
            max(failed_at) AS client_last,
            (SELECT count(*)::int FROM sign_in_failures a
              WHERE a.email = $1::text AND a.failed_at > $3::timestamptz) AS account
     FROM sign_in_failures
     WHERE client = $2::text AND failed_at > $3::timestamptz`,
    [email, client, since.toISOString()],
  );
  const row = rows[0]!;
  const date = (value: Date | string | null) => (value === null ? null : new Date(value));
  return {
    pair: row.pair,
    pairLast: date(row.pair_last),
    client: row.client,
    clientLast: date(row.client_last),
    account: row.account,
  };
}

export async function insertSignInFailure(
  db: Database,
  email: string,
  client: string,
  at: Date,
): Promise<void> {
  await db.query(
    "INSERT INTO sign_in_failures (email, client, failed_at) VALUES ($1::text, $2::text, $3::timestamptz)",
    [email, client, at.toISOString()],
  );
}

export async function deleteSignInFailures(db: Database, email: string, client: string): Promise<void> {
  await db.query("DELETE FROM sign_in_failures WHERE client = $2::text AND email = $1::text", [
    email,
    client,
  ]);
}

/** Deletes up to `limit` failures older than `before` (a few at a time: DSQL caps rows per transaction). */
export async function pruneSignInFailures(db: Database, before: Date, limit: number): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `DELETE FROM sign_in_failures WHERE id IN (
       SELECT id FROM sign_in_failures WHERE failed_at < $1::timestamptz LIMIT $2::int
     ) RETURNING id`,
    [before.toISOString(), limit],
  );
  return rows.length;
}
