/**
 * Email codes of verified fans (sql/0121): one row per code mailed. Times are the app's injected clock's
 * (passed in), so a code's ten minutes and the send limits' windows follow the clock tests set.
 */
import type { Queryable } from "../../db/database";

export interface FanCode {
  id: string;
  codeHash: string;
  wrongTries: number;
  usedAt: Date | null;
  expiresAt: Date;
}

/** Codes sent lately to one fan and from one client, and when the oldest of each leaves the window. */
export interface CodeSends {
  byFan: number;
  byClient: number;
  oldestByFan: Date | null;
  oldestByClient: Date | null;
}

export async function countCodeSends(
  db: Queryable,
  fan: string,
  client: string,
  since: Date,
): Promise<CodeSends> {
  const { rows } = await db.query<{
    by_fan: number;
    by_client: number;
    oldest_by_fan: Date | null;
    oldest_by_client: Date | null;
  }>(
    `SELECT (SELECT count(*)::int FROM fan_codes WHERE fan = $1::text AND created_at > $3::timestamptz) AS by_fan,
            (SELECT min(created_at) FROM fan_codes WHERE fan = $1::text AND created_at > $3::timestamptz)
              AS oldest_by_fan,
            (SELECT count(*)::int FROM fan_codes WHERE client = $2::text AND created_at > $3::timestamptz)
              AS by_client,
            (SELECT min(created_at) FROM fan_codes WHERE client = $2::text AND created_at > $3::timestamptz)
              AS oldest_by_client`,
    [fan, client, since.toISOString()],
  );
  const row = rows[0]!;
  return {
    byFan: row.by_fan,
    byClient: row.by_client,
    oldestByFan: row.oldest_by_fan && new Date(row.oldest_by_fan),
    oldestByClient: row.oldest_by_client && new Date(row.oldest_by_client),
  };
}

export async function insertFanCode(
  db: Queryable,
  code: { fan: string; client: string; codeHash: string; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO fan_codes (fan, client, code_hash, created_at, expires_at)
     VALUES ($1::text, $2::text, $3::text, $4::timestamptz, $5::timestamptz)`,
    [code.fan, code.client, code.codeHash, code.createdAt.toISOString(), code.expiresAt.toISOString()],
  );
}

/** The fan's newest code: the only one that counts (asking again replaces the one before). */
export async function latestFanCode(db: Queryable, fan: string): Promise<FanCode | undefined> {
  const { rows } = await db.query<{
    id: string;
    code_hash: string;
    wrong_tries: number;
    used_at: Date | null;
    expires_at: Date;
  }>(
    `SELECT id, code_hash, wrong_tries, used_at, expires_at FROM fan_codes
     WHERE fan = $1::text ORDER BY created_at DESC LIMIT 1`,
    [fan],
  );
  const row = rows[0];
  return (
    row && {
      id: row.id,
      codeHash: row.code_hash,
      wrongTries: row.wrong_tries,
      usedAt: row.used_at && new Date(row.used_at),
      expiresAt: new Date(row.expires_at),
    }
  );
}

/**
 * Counts one wrong try, atomically, while fewer than `maxTries` were counted; answers the tries counted
 * after it, or undefined when the code was already dead (racing guesses cannot pass the limit).
 */
export async function countWrongTry(
  db: Queryable,
  id: string,
  maxTries: number,
): Promise<number | undefined> {
  const { rows } = await db.query<{ wrong_tries: number }>(
    `UPDATE fan_codes SET wrong_tries = wrong_tries + 1
     WHERE id = $1::uuid AND wrong_tries < $2::int AND used_at IS NULL
     RETURNING wrong_tries`,
    [id, maxTries],
  );
  return rows[0]?.wrong_tries;
}

/** Uses the code once: true only for the first use of a live code (not expired at `now`, tries left). */
export async function useFanCode(db: Queryable, id: string, now: Date, maxTries: number): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE fan_codes SET used_at = $2::timestamptz
     WHERE id = $1::uuid AND used_at IS NULL AND wrong_tries < $3::int AND expires_at > $2::timestamptz
     RETURNING id`,
    [id, now.toISOString(), maxTries],
  );
  return rows.length === 1;
}
