-- A drop's units 1..N split over K rows so that concurrent buyers decrement different rows.
-- Bucket b holds units first_unit .. first_unit + size - 1; the unit a decrement claims is
-- first_unit + size - 1 - remaining (remaining taken after the decrement), so units are derived from
-- the row, never counted in the application.
CREATE TABLE IF NOT EXISTS stock_buckets (
  drop_id uuid NOT NULL,
  bucket integer NOT NULL CHECK (bucket BETWEEN 0 AND 63),
  first_unit integer NOT NULL CHECK (first_unit >= 1),
  size integer NOT NULL CHECK (size >= 1),
  remaining integer NOT NULL CHECK (remaining >= 0 AND remaining <= size),
  PRIMARY KEY (drop_id, bucket)
);
