-- How long a win is held for payment, in seconds; NULL or 0 is an instant order (the win is final, the
-- behaviour before checkout existed). The API takes minutes (holdMinutes 1-60); seconds let tests hold briefly.
ALTER TABLE drops ADD COLUMN IF NOT EXISTS hold_seconds integer;
