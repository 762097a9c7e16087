-- When a held order's hold runs out, on the database clock (now() + the drop's hold); NULL for instant orders.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS expires_at timestamptz;
