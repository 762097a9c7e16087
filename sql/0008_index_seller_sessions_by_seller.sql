-- Sign-in sweeps the seller's expired sessions, and sign-out everywhere would find them all.
CREATE INDEX ASYNC IF NOT EXISTS seller_sessions_seller_idx ON seller_sessions (seller_id, expires_at);
