-- Pruning failures older than the throttle's window.
CREATE INDEX ASYNC IF NOT EXISTS sign_in_failures_time_idx ON sign_in_failures (failed_at);
