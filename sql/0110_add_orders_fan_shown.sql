-- The fan's identity as typed (readable), shown to fans and sellers. `fan` holds the key the per-fan limit
-- compares (a confusables skeleton, not for reading: see docs/identity.md). NULL for orders placed before
-- this column existed, whose `fan` was itself the readable form.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS fan_shown text;
