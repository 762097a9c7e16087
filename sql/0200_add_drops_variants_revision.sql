-- How many times the seller changed the drop's sizes after creating it (issue 18 §1); NULL: never (0). Each
-- process caches a drop's sizes (their places and prices); a purchase carries the revision its cache was read
-- at, and both purchase statements sell only when it is the database's, as they check the orders mode. A
-- process with an older list hears "changed", reads the drop and its sizes afresh, and buys again.
ALTER TABLE drops ADD COLUMN IF NOT EXISTS variants_revision integer;
