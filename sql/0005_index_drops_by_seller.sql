-- A seller's drop list, newest first.
CREATE INDEX ASYNC IF NOT EXISTS drops_seller_created_idx ON drops (seller_id, created_at);
