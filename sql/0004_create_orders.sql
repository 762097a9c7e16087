-- One row per sold unit. The unique constraints are the schema's own guard against selling a unit twice,
-- replaying a request twice, or letting one fan past the per-fan limit (fan_slot runs 1..max_per_fan).
CREATE TABLE IF NOT EXISTS orders (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  drop_id uuid NOT NULL,
  unit_no integer NOT NULL CHECK (unit_no >= 1),
  fan text NOT NULL,
  fan_slot integer NOT NULL CHECK (fan_slot >= 1),
  price_cents integer NOT NULL CHECK (price_cents >= 0),
  attempts integer NOT NULL CHECK (attempts >= 1),
  idempotency_key text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT orders_unit_key UNIQUE (drop_id, unit_no),
  CONSTRAINT orders_idempotency_key UNIQUE (drop_id, idempotency_key),
  CONSTRAINT orders_fan_slot_key UNIQUE (drop_id, fan, fan_slot)
);
