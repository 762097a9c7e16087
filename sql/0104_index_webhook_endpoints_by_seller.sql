-- Endpoints are listed, and events fanned out, per seller.
CREATE INDEX ASYNC IF NOT EXISTS webhook_endpoints_seller_idx ON webhook_endpoints (seller_id, created_at);
