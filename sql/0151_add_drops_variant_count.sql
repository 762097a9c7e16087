-- How many variants a drop sells (sql/0150); NULL for drops made before variants, which are one variant.
ALTER TABLE drops ADD COLUMN IF NOT EXISTS variant_count integer;
