-- SHA-256 of the order token handed to the fan once, at purchase: the fan's only key to a held order.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS token_hash text;
