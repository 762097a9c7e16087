-- An endpoints delivery log, newest first.
CREATE INDEX ASYNC IF NOT EXISTS deliveries_endpoint_idx ON deliveries (endpoint_id, created_at);
