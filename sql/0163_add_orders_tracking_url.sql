-- The carrier's tracking page (https) the seller gave when fulfilling; NULL when none was given.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS tracking_url text;
