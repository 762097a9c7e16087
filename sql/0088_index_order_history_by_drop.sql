-- A drop's ended holds, for its audit trail.
CREATE INDEX ASYNC IF NOT EXISTS order_history_drop_idx ON order_history (drop_id, unit_no);
