-- A signed-in browser. Only the SHA-256 of the session token is stored, so a leaked table signs nobody in.
-- Expiry is judged on the database clock; a new row (new token) is written at every sign-in.
CREATE TABLE IF NOT EXISTS seller_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash text NOT NULL,
  seller_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  CONSTRAINT seller_sessions_token_hash_key UNIQUE (token_hash),
  CHECK (expires_at > created_at)
);
