-- Orders the seller ended: refunded (a paid order, its payment given back) or cancelled (an unpaid
-- instant order). Moved here from orders in the same transaction that returns the unit to returned_units
-- and writes the event, so that the unit, the idempotency key and the fan slot are free again under
-- orders' unique constraints, while the fan's receipt, the seller's order page and the CSV still show it.
CREATE TABLE IF NOT EXISTS closed_orders (
  id uuid PRIMARY KEY,
  drop_id uuid NOT NULL,
  unit_no integer NOT NULL CHECK (unit_no >= 1),
  fan text NOT NULL,
  fan_shown text,
  price_cents integer NOT NULL CHECK (price_cents >= 0),
  status text NOT NULL CHECK (status IN ('refunded', 'cancelled')),
  payment_ref text,
  paid_at timestamptz,
  shipping text,
  token_hash text,
  created_at timestamptz NOT NULL,
  closed_at timestamptz NOT NULL DEFAULT now()
);
