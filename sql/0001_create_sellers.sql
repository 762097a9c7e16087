-- Sellers own drops. The API key is stored only as a SHA-256 hash; the password only as a scrypt hash.
CREATE TABLE IF NOT EXISTS sellers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  name text NOT NULL,
  password_hash text NOT NULL,
  api_key_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT sellers_email_key UNIQUE (email),
  CONSTRAINT sellers_api_key_hash_key UNIQUE (api_key_hash)
);
