-- The expiry sweep looks for held orders whose hold ran out; instant orders have NULL here.
CREATE INDEX ASYNC IF NOT EXISTS orders_expires_at_idx ON orders (expires_at);
