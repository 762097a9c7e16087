-- "Email me at go-live" (issue 17 §4): one row per fan and drop. `fan` is the per-fan key, `email` the
-- address as typed. Confirmed by the link in the first email. At go-live a sender leases due rows by a
-- conditional UPDATE of `leased_until` (no SKIP LOCKED on DSQL), mails each, and sets `notified_at`: one
-- email per confirmed fan, never two processes at once.
CREATE TABLE IF NOT EXISTS notify_signups (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  drop_id uuid NOT NULL,
  fan text NOT NULL,
  email text NOT NULL,
  confirmed_at timestamptz,
  notified_at timestamptz,
  leased_until timestamptz,
  lease_owner text,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT notify_signups_drop_fan_key UNIQUE (drop_id, fan)
);
