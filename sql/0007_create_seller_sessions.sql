-- A signed-in browser. Only the SHA-256 of the session token is stored, so a leaked table signs nobody in.
-- Expiry is judged on the database clock; a new row (new token) is written at every sign-in.
CREATE TABLE IF NOT EXISTS seller_sessions (
  token_hash text PRIMARY KEY,
  seller_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  CHECK (expires_at > created_at)
);
