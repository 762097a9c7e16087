-- The one queue behind draws and waitlists (docs/draws.md): a draw entry (kind 'draw', ordered by `rank`
-- once the draw ran) or a waitlist place (kind 'waitlist', ordered by `joined_at`, then id). An offer is a
-- held order (orders, idempotency key 'offer:' || id) whose id is kept in `order_id`; NULL while the entry
-- waits. `offer_token` is the fan's key to pay that order (orders keeps only its hash), shown to that fan alone.
-- One entry per fan and drop; `id` is the pseudonymous entry reference published with a draw.
CREATE TABLE IF NOT EXISTS offer_queue (
  drop_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('draw', 'waitlist')),
  fan text NOT NULL,
  fan_shown text NOT NULL,
  joined_at timestamptz NOT NULL DEFAULT now(),
  rank integer CHECK (rank >= 1),
  order_id uuid,
  offer_token text,
  offered_at timestamptz,
  PRIMARY KEY (drop_id, id),
  CONSTRAINT offer_queue_fan_key UNIQUE (drop_id, fan)
);
