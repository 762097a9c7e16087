-- The reconciler reads the open attempts (started, requires_action, succeeded) oldest first.
CREATE INDEX ASYNC IF NOT EXISTS payment_attempts_state_idx ON payment_attempts (state, created_at);
