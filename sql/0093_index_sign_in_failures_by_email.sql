-- The sign-in throttle also counts an account's recent failures from every client (issue 15 §2): an
-- account under attack gets no share of the hashing capacity kept for clean sign-ins.
CREATE INDEX ASYNC IF NOT EXISTS sign_in_failures_email_idx ON sign_in_failures (email, failed_at);
