-- A drop's variants (sizes, colours) when the seller named them: each sells its own `quantity` units, numbered
-- 1..quantity within the variant. `position` (0..19) is the variant's place in the drop and its unit space:
-- its units are stock_buckets/orders/returned_units unit_no position * 1,000,000 + 1 .. + quantity, so the
-- existing UNIQUE (drop_id, unit_no) of orders is the unique (drop, variant, unit) and a drop created
-- without variants is variant 0 with no row here (docs/variants.md). NULL price_cents: the drop's price.
CREATE TABLE IF NOT EXISTS drop_variants (
  drop_id uuid NOT NULL,
  position integer NOT NULL CHECK (position BETWEEN 0 AND 19),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 40),
  quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000000),
  price_cents integer CHECK (price_cents >= 0),
  PRIMARY KEY (drop_id, position),
  CONSTRAINT drop_variants_id_key UNIQUE (id),
  CONSTRAINT drop_variants_name_key UNIQUE (drop_id, name)
);
