-- One picture per place of a drop (see 0112): the constraint that makes the picture limit race-free.
CREATE UNIQUE INDEX ASYNC IF NOT EXISTS drop_images_slot_key ON drop_images (drop_id, slot);
