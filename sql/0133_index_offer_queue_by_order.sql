-- From an offer's order back to its entry (an offer paid, lapsed or released).
CREATE INDEX ASYNC IF NOT EXISTS offer_queue_order_idx ON offer_queue (order_id);
