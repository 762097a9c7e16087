-- When the sequencer last swept a drop for late-committed orders (see 0185): a sweep runs at most every few
-- seconds per drop, and not at all once `settled_through` has passed the newest copied order.
ALTER TABLE event_sequences ADD COLUMN IF NOT EXISTS settled_at timestamptz;
