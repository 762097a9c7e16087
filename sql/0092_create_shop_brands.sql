-- A shop's own look on fan pages: accent colour, short bio, links, logo and banner. One row per seller,
-- written by the shop-settings form; a shop without a row looks as before. The pictures' bytes live in
-- image_files (like drop pictures); `logo` and `banner` hold their descriptors as JSON text, so a fan page
-- reads its shop, brand and pictures in one query. `links` is a JSON array of {label, url} (http/https).
CREATE TABLE IF NOT EXISTS shop_brands (
  seller_id uuid PRIMARY KEY,
  accent text CHECK (accent IS NULL OR char_length(accent) = 7),
  bio text NOT NULL DEFAULT '' CHECK (char_length(bio) <= 280),
  links text NOT NULL DEFAULT '[]' CHECK (char_length(links) <= 4000),
  logo text CHECK (logo IS NULL OR char_length(logo) <= 2000),
  banner text CHECK (banner IS NULL OR char_length(banner) <= 2000),
  updated_at timestamptz NOT NULL DEFAULT now()
);
