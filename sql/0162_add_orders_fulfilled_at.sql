-- When the seller marked the order fulfilled (shipped), on the database clock; NULL until then. A fulfilled
-- order's address is fixed and the order can no longer be cancelled or refunded from the shop.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS fulfilled_at timestamptz;
