-- The payment provider's id for the payment that paid this order (test provider or Stripe PaymentIntent).
ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_ref text;
