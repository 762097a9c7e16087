-- A drop's dashboard lists its Stress Test receipts, newest first.
CREATE INDEX ASYNC IF NOT EXISTS stress_tests_drop_created_idx ON stress_tests (drop_id, created_at);
