-- A drop of exactly `quantity` units, sold from `starts_at` on the database clock.
-- `bucket_count` says over how many stock rows the units are spread (see stock_buckets).
CREATE TABLE IF NOT EXISTS drops (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seller_id uuid NOT NULL,
  slug text NOT NULL,
  title text NOT NULL,
  description text NOT NULL DEFAULT '',
  price_cents integer NOT NULL CHECK (price_cents >= 0),
  currency text NOT NULL CHECK (char_length(currency) = 3),
  quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000000),
  starts_at timestamptz NOT NULL,
  max_per_fan integer NOT NULL DEFAULT 1 CHECK (max_per_fan >= 1),
  bucket_count integer NOT NULL CHECK (bucket_count BETWEEN 1 AND 64),
  is_rehearsal boolean NOT NULL DEFAULT false,
  rehearsal_of uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT drops_slug_key UNIQUE (slug)
);
