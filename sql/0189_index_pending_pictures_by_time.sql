-- Pending pictures (0188) are cleared out after a day: found by age.
CREATE INDEX ASYNC IF NOT EXISTS pending_pictures_created_idx ON pending_pictures (created_at);
