-- One row per (event, receiver): a webhook endpoint or a fans email. The dispatcher leases a due delivery
-- by a conditional UPDATE of `leased_until` (no SKIP LOCKED on DSQL), sends it, and records the outcome, a
-- process killed mid-send leaves the lease to run out and the delivery to be sent again (at least once).
-- `target` names the receiver (webhook:<endpoint id> or email:<template>), so an event reaches each once.
CREATE TABLE IF NOT EXISTS deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('webhook', 'email')),
  target text NOT NULL,
  endpoint_id uuid,
  recipient text,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'skipped')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  leased_until timestamptz,
  lease_owner text,
  last_status integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  CONSTRAINT deliveries_event_target_key UNIQUE (event_id, target)
);
