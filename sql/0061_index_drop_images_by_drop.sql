-- A drop's pictures, oldest first, for the fan page and the drop's JSON.
CREATE INDEX ASYNC IF NOT EXISTS drop_images_drop_created_idx ON drop_images (drop_id, created_at);
