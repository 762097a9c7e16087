-- The go-live sender's read: a drop's confirmed signups not yet notified.
CREATE INDEX ASYNC IF NOT EXISTS notify_signups_due_idx ON notify_signups (drop_id, notified_at);
