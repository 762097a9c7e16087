-- Which of the drop's picture places (1..MAX_IMAGES_PER_DROP) a picture takes. The insert picks a free
-- place in the same statement, and the unique index (0113) lets only one of two concurrent uploads take a
-- place, so the limit holds under any concurrency (30 uploads at once used to leave 30 pictures).
-- Pictures from before this column have NULL here and are counted by the insert instead.
ALTER TABLE drop_images ADD COLUMN IF NOT EXISTS slot integer;
