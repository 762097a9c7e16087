-- Whether the drop asks each buyer where to ship their unit (issue 18 §2). NULL or false: no address is
-- asked. On a hold drop the address is asked with payment; on an instant drop the receipt asks for it.
ALTER TABLE drops ADD COLUMN IF NOT EXISTS collect_shipping boolean;
