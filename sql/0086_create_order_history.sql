-- Held orders that ended without being paid: expired, released by the fan, or refunded (paid after the
-- hold had already expired). Moved here from orders in the same transaction that returns the unit, so
-- the fan can still read their order while the unique unit / key / fan-slot constraints are freed.
CREATE TABLE IF NOT EXISTS order_history (
  id uuid PRIMARY KEY,
  drop_id uuid NOT NULL,
  unit_no integer NOT NULL CHECK (unit_no >= 1),
  fan text NOT NULL,
  fan_slot integer NOT NULL,
  price_cents integer NOT NULL CHECK (price_cents >= 0),
  attempts integer NOT NULL,
  idempotency_key text NOT NULL,
  status text NOT NULL CHECK (status IN ('expired', 'released', 'refunded')),
  expires_at timestamptz NOT NULL,
  token_hash text,
  payment_ref text,
  created_at timestamptz NOT NULL,
  ended_at timestamptz NOT NULL DEFAULT now()
);
