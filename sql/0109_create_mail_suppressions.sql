-- Addresses that unsubscribed (one click, List-Unsubscribe) from mail that is not a receipt.
CREATE TABLE IF NOT EXISTS mail_suppressions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  address text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT mail_suppressions_address_key UNIQUE (address)
);
