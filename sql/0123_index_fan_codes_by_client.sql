-- One client's codes of the last minutes (the per-client-address limit).
CREATE INDEX ASYNC IF NOT EXISTS fan_codes_client_idx ON fan_codes (client, created_at);
