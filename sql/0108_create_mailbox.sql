-- The dev mailbox: with no SMTP server configured, mail is kept here instead of sent (see docs/webhooks-and-email.md).
CREATE TABLE IF NOT EXISTS mailbox (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  delivery_id uuid NOT NULL UNIQUE,
  recipient text NOT NULL,
  subject text NOT NULL,
  text_body text NOT NULL,
  html_body text NOT NULL,
  headers text NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
