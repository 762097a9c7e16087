/** Database-backed seller sessions (only token hashes are stored). */
import type { Database } from "../../db/database";
import type { Seller } from "../../domain/types";
import { type SellerRow, toSeller } from "../rows";

export async function insertSellerSession(
  db: Database,
  session: { tokenHash: string; sellerId: string; ttlSeconds: number },
): Promise<void> {
  await db.query(
    `INSERT INTO seller_sessions (token_hash, seller_id, expires_at)
     VALUES ($1::text, $2::uuid, now() + $3::int * interval '1 second')`,
    [session.tokenHash, session.sellerId, session.ttlSeconds],
  );
}

/** The seller a live session belongs to; expired sessions find nobody. */
export async function findSessionSeller(db: Database, tokenHash: string): Promise<Seller | undefined> {
  const { rows } = await db.query<SellerRow>(
    `SELECT s.id, s.email, s.name, s.created_at
     FROM seller_sessions ss JOIN sellers s ON s.id = ss.seller_id
     WHERE ss.token_hash = $1::text AND ss.expires_at > now()`,
    [tokenHash],
  );
  return rows[0] && toSeller(rows[0]);
}

export async function deleteSellerSession(db: Database, tokenHash: string): Promise<void> {
  await db.query("DELETE FROM seller_sessions WHERE token_hash = $1::text", [tokenHash]);
}

export async function deleteExpiredSellerSessions(db: Database, sellerId: string): Promise<void> {
  await db.query("DELETE FROM seller_sessions WHERE seller_id = $1::uuid AND expires_at <= now()", [
    sellerId,
  ]);
}

/** Ends every session of the seller with this email (a password reset signs them out everywhere). */
export async function deleteSessionsOfEmail(db: Database, email: string): Promise<void> {
  await db.query(
    "DELETE FROM seller_sessions WHERE seller_id IN (SELECT id FROM sellers WHERE email = $1::text)",
    [email],
  );
}
