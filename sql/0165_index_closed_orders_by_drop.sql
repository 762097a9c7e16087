-- A drop's closed orders by unit, for its order list and CSV.
CREATE INDEX ASYNC IF NOT EXISTS closed_orders_drop_idx ON closed_orders (drop_id, unit_no);
