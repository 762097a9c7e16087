-- Where the fan wants the unit shipped, as JSON text {name, line1, line2, city, postalCode, country},
-- validated before it is written (domain/orders/shipping.ts); NULL until given. Only the seller reads it.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS shipping text;
