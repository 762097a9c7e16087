-- A picture chosen on the new-drop form whose other fields came back with errors: the browser does not send
-- a file twice, so the server keeps it here (its drop_images row has drop_id = this id) and the re-shown
-- form carries the id. Creating the drop moves the picture to it; pictures left pending go after a day.
CREATE TABLE IF NOT EXISTS pending_pictures (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seller_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
