-- An order of a hold drop is 'held' until paid, then 'paid'; NULL is an instant order (final when placed).
-- Expired and released holds leave this table for order_history (sql/0086), so that their unit, key and
-- fan slot are free again under the unique constraints of orders.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS status text;
