-- One row per drop whose events have been sequenced: the next position to hand out (the sequencer moves it
-- by a conditional UPDATE, so two processes cannot hand out the same positions), and the newest order
-- creation time copied into the log so far (the next pass looks back from there, see repository/messages/events.ts).
CREATE TABLE IF NOT EXISTS event_sequences (
  drop_id uuid PRIMARY KEY,
  next_position bigint NOT NULL DEFAULT 1 CHECK (next_position >= 1),
  orders_through timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
