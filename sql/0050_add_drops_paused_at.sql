-- When the seller paused the drop (the kill switch); NULL while it sells. The purchase statement claims
-- stock only while this is NULL, so a pause is enforced by the database, not by the app.
ALTER TABLE drops ADD COLUMN IF NOT EXISTS paused_at timestamptz;
