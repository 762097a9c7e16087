-- The sequencer's second cursor (repository/messages/events.ts): every order created at or before
-- `settled_through` is known to be in the log. A pass normally reads only orders newer than `orders_through`
-- (the newest copied); now and then it sweeps everything newer than `settled_through` for orders that
-- committed late (a transaction that began before the newest copied order but committed after it), then moves
-- `settled_through` up to the sweep's time minus the longest a purchase can stay uncommitted. NULL: from
-- `orders_through` minus that bound, as before this cursor existed.
ALTER TABLE event_sequences ADD COLUMN IF NOT EXISTS settled_through timestamptz;
