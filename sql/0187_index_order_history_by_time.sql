-- The sequencer asks whether a drop has ended holds newer than its cursor (repository/messages/events.ts
-- dropsToSequence): one index probe per drop per tick instead of reading the drop's whole history.
CREATE INDEX ASYNC IF NOT EXISTS order_history_drop_created_idx ON order_history (drop_id, created_at);
