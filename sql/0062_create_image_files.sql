-- One re-encoded WebP of a drop image at one width. `content_hash` is in the file's URL, so a URL always
-- names the same bytes and can be cached for a year. DSQL caps a column at 1 MiB and a row at 2 MiB
-- (Aurora DSQL user guide, "Cluster quotas and database limits"); the app keeps each file under 900 KB.
CREATE TABLE IF NOT EXISTS image_files (
  image_id uuid NOT NULL,
  width integer NOT NULL CHECK (width > 0),
  height integer NOT NULL CHECK (height > 0),
  content_hash text NOT NULL,
  bytes bytea NOT NULL,
  PRIMARY KEY (image_id, width)
);
