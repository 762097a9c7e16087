-- The whole-table expiry index of sql/0087 gave every instant order an entry (NULL) that no query reads; the
-- partial orders_held_expiry_idx (0170) serves the expiry sweep instead. One index fewer per sold unit.
DROP INDEX IF EXISTS orders_expires_at_idx;
