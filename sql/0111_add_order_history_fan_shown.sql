-- The readable identity of an ended hold, kept as orders.fan_shown was (NULL before it existed).
ALTER TABLE order_history ADD COLUMN IF NOT EXISTS fan_shown text;
