-- One row per wrong password: (account email, client address, when). The sign-in throttle counts them
-- per client and account and per client across accounts, so every app process sees the same counts.
-- Insert-only (a right password deletes its pair's rows): no row is ever updated, so nothing contends.
CREATE TABLE IF NOT EXISTS sign_in_failures (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  client text NOT NULL,
  failed_at timestamptz NOT NULL,
  CHECK (length(email) <= 320 AND length(client) <= 100)
);
