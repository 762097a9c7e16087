-- The dispatchers question: which pending deliveries are due now.
CREATE INDEX ASYNC IF NOT EXISTS deliveries_due_idx ON deliveries (status, next_attempt_at);
