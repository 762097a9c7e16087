-- One row per six-digit code mailed to a fan who proves an email address (issue 17 §1). Only an HMAC of the
-- code is kept. `fan` is the per-fan key of the address (domain/purchase/fan-identity.ts), `client` the
-- requester's address key: the rows are also the per-address and per-client rate limits' log. Times come
-- from the app's injected clock, so expiry (10 minutes) and the limits' windows are testable.
CREATE TABLE IF NOT EXISTS fan_codes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  fan text NOT NULL,
  client text NOT NULL,
  code_hash text NOT NULL,
  wrong_tries integer NOT NULL DEFAULT 0,
  used_at timestamptz,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL
);
