-- A sellers webhook endpoints. `events` is a JSON array of event types, NULL for all. The secret signs
-- every request (Standard Webhooks), after a rotation the previous one keeps signing beside it until
-- `previous_secret_until`, so a receiver verifying with either still accepts. An endpoint that answered
-- 410 Gone, or failed for three days, is disabled with its reason for the seller to read.
CREATE TABLE IF NOT EXISTS webhook_endpoints (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seller_id uuid NOT NULL,
  url text NOT NULL,
  events text,
  secret text NOT NULL,
  previous_secret text,
  previous_secret_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  failing_since timestamptz,
  disabled_at timestamptz,
  disabled_reason text
);
