-- A draw drop's draw (docs/draws.md): one row per drop sold by draw, written with the drop. `commitment`
-- (SHA-256 of `seed`) is public from creation; `seed` is revealed once the ranking is written. The entry list
-- freezes at `entries_close_at` (entries are refused after it, on the database clock); `frozen_count` is the
-- number of entries the draw ranked; `ranked_at` says every entry has its rank. `public_value_source` names a
-- value the seller publishes after close (a lottery number, a beacon round); the draw waits for `public_value`.
-- `opened_at`: the seller opened the leftover units first-come after the ranking ran out.
CREATE TABLE IF NOT EXISTS draws (
  drop_id uuid PRIMARY KEY,
  seed text NOT NULL,
  commitment text NOT NULL,
  entries_close_at timestamptz NOT NULL,
  public_value_source text,
  public_value text,
  frozen_count integer,
  ranked_at timestamptz,
  opened_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
