-- When the seller cancelled the drop (only possible before go-live); NULL otherwise. Like paused_at, the
-- purchase statement claims stock only while this is NULL.
ALTER TABLE drops ADD COLUMN IF NOT EXISTS cancelled_at timestamptz;
