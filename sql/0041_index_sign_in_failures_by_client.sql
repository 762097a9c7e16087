-- The throttle's one read: a client's recent failures (and, among them, those on one account).
CREATE INDEX ASYNC IF NOT EXISTS sign_in_failures_client_idx ON sign_in_failures (client, failed_at);
