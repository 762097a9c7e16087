-- Secrets the app makes for itself once and shares across processes, e.g. the key that signs fan receipt
-- links (/d/<slug>/orders/<id>?k=...). Made by the first process that needs one; never changed.
CREATE TABLE IF NOT EXISTS site_secrets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  secret text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT site_secrets_name_key UNIQUE (name)
);
