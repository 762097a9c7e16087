/** Sellers: accounts, API keys, credentials. */
import type { Database } from "../../db/database";
import type { Seller } from "../../domain/types";
import { type SellerRow, toSeller } from "../rows";

export async function insertSeller(
  db: Database,
  input: { email: string; name: string; passwordHash: string; apiKeyHash: string },
): Promise<Seller> {
  const { rows } = await db.query<SellerRow>(
    `INSERT INTO sellers (email, name, password_hash, api_key_hash)
     VALUES ($1::text, $2::text, $3::text, $4::text)
     RETURNING id, email, name, created_at`,
    [input.email, input.name, input.passwordHash, input.apiKeyHash],
  );
  return toSeller(rows[0]!);
}

export async function findSellerByApiKeyHash(db: Database, apiKeyHash: string): Promise<Seller | undefined> {
  const { rows } = await db.query<SellerRow>(
    "SELECT id, email, name, created_at FROM sellers WHERE api_key_hash = $1::text",
    [apiKeyHash],
  );
  return rows[0] && toSeller(rows[0]);
}

export async function findSellerCredentials(
  db: Database,
  email: string,
): Promise<{ seller: Seller; passwordHash: string } | undefined> {
  const { rows } = await db.query<SellerRow & { password_hash: string }>(
    "SELECT id, email, name, created_at, password_hash FROM sellers WHERE email = $1::text",
    [email],
  );
  const row = rows[0];
  return row && { seller: toSeller(row), passwordHash: row.password_hash };
}

export async function updateSellerApiKey(db: Database, sellerId: string, apiKeyHash: string): Promise<void> {
  await db.query("UPDATE sellers SET api_key_hash = $2::text WHERE id = $1::uuid", [sellerId, apiKeyHash]);
}

/** A new password for the seller; false when no seller has this email. */
export async function updateSellerPassword(
  db: Database,
  email: string,
  passwordHash: string,
): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    "UPDATE sellers SET password_hash = $2::text WHERE email = $1::text RETURNING id",
    [email, passwordHash],
  );
  return rows.length > 0;
}

/** Whether any seller exists: the embedded database counts as fresh, and gets the demo, until one does. */
export async function anySellerExists(db: Database): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>("SELECT EXISTS (SELECT 1 FROM sellers) AS found");
  return rows[0]!.found;
}
