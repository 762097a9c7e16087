-- Addresses that unsubscribed (one click, List-Unsubscribe) from mail that is not a receipt.
CREATE TABLE IF NOT EXISTS mail_suppressions (
  address text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);
