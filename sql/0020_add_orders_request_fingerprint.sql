-- What the request that used an order's idempotency key asked for (a hash of drop and fan), so that the
-- same key sent with another request is refused instead of answered with someone else's order.
-- Orders placed before this column existed have NULL here and are compared by their fan.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS request_fingerprint text
