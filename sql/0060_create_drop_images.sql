-- A drop's product pictures, in the order they were added. The pixels live in image_files, one row per
-- encoded width, so every process and backend serves the same bytes from the database itself.
CREATE TABLE IF NOT EXISTS drop_images (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  drop_id uuid NOT NULL,
  width integer NOT NULL CHECK (width > 0),
  height integer NOT NULL CHECK (height > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
