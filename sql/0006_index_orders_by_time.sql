-- The per-unit audit trail pages newest first by (created_at, id).
CREATE INDEX ASYNC IF NOT EXISTS orders_drop_created_idx ON orders (drop_id, created_at, id);
