-- Every payment attempt of a hold order, written BEFORE the payment provider is called and updated with
-- its outcome, so that money taken while the process died or the database was away is found again: the
-- reconciler (src/domain/checkout/payment-reconciler.ts) settles every attempt left open (keeps the payment for the
-- order it paid, or refunds it). `lease_until` lets one of several processes settle an attempt at a time
-- (a conditional UPDATE; DSQL has no advisory locks).
CREATE TABLE IF NOT EXISTS payment_attempts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id uuid NOT NULL,
  drop_id uuid NOT NULL,
  provider text NOT NULL,
  amount_cents integer NOT NULL CHECK (amount_cents >= 0),
  currency text NOT NULL,
  payment_ref text,
  state text NOT NULL DEFAULT 'started'
    CHECK (state IN ('started', 'requires_action', 'succeeded', 'declined', 'kept', 'refunded', 'abandoned')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  settled_by text
);
