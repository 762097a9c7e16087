-- The next entries to offer a unit to: a drop's waiting entries by rank (draw) or join time (waitlist).
CREATE INDEX ASYNC IF NOT EXISTS offer_queue_place_idx ON offer_queue (drop_id, rank, joined_at);
