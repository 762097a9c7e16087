-- The outbox: one row per event a receiver may hear of (webhooks, fan email). Events that describe a
-- change are inserted in the same transaction as the change, order.created / order.held are copied here
-- after commit from the orders themselves (see repository/messages/events.ts), so the purchase writes nothing more.
-- `position` is the events place in its drops log, stamped after commit by the sequencer: gap-free per
-- drop, in the order the sequencer saw the events committed. NULL until stamped (and for a ping, which
-- belongs to no drop). `dedupe` names an event that may exist only once per drop (a drops go-live, an
-- orders creation), so two sequencers cannot record it twice. `data` is JSON text (DSQL has no jsonb columns).
CREATE TABLE IF NOT EXISTS events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  drop_id uuid,
  type text NOT NULL,
  order_id uuid,
  unit_no integer,
  data text NOT NULL DEFAULT '{}',
  occurred_at timestamptz NOT NULL DEFAULT now(),
  position bigint,
  dedupe text,
  CONSTRAINT events_dedupe_key UNIQUE (drop_id, dedupe),
  CONSTRAINT events_position_key UNIQUE (drop_id, position)
);
