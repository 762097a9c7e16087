-- When a held order became paid, on the database clock.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS paid_at timestamptz;
