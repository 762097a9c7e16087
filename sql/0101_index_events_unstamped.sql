-- The sequencer looks for drops with events not yet given a position (position IS NULL).
CREATE INDEX ASYNC IF NOT EXISTS events_position_idx ON events (position, drop_id);
