-- A seller's Stress Test quotas (runs per hour, attempts per day) are counted from their recent runs.
CREATE INDEX ASYNC IF NOT EXISTS stress_tests_seller_created_idx ON stress_tests (seller_id, created_at);
