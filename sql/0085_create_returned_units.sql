-- Units of a hold drop that came back to stock (a hold expired or was released). A unit's number is
-- derived from its bucket only the first time it is sold; afterwards it lives here until a purchase
-- claims it again (DELETE ... RETURNING, so one purchase gets it). A unit is in exactly one place at a
-- time: a bucket's unsold range, this table, or an orders row; every move between them is one transaction.
CREATE TABLE IF NOT EXISTS returned_units (
  drop_id uuid NOT NULL,
  unit_no integer NOT NULL CHECK (unit_no >= 1),
  returned_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (drop_id, unit_no)
);
