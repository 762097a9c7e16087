-- The expiry sweep looks for held orders whose hold ran out. Only orders of a checkout drop have an expiry,
-- so only they are indexed: an instant order (expires_at NULL, most of a hot drop) no longer pays for an
-- index entry it is never found by. Replaces orders_expires_at_idx (sql/0087, dropped by 0171). Aurora DSQL
-- builds partial indexes since September 2026 (its release notes: "Partial indexes") and uses one when the
-- query's WHERE implies the predicate: the sweep's `expires_at <= now()` does (a NULL never compares true).
CREATE INDEX ASYNC IF NOT EXISTS orders_held_expiry_idx ON orders (expires_at) WHERE expires_at IS NOT NULL;
