-- A fan's newest code (to check it) and their codes of the last minutes (the per-address limit).
CREATE INDEX ASYNC IF NOT EXISTS fan_codes_fan_idx ON fan_codes (fan, created_at);
