-- One Stress Test: a rehearsal copy of `drop_id` (`rehearsal_drop_id`) stampeded over real HTTP, and the
-- receipt the database audit gave it (text holding JSON: DSQL has no jsonb columns).
-- `running_slot` holds the seller id only while the run is live and is NULL afterwards, so the unique
-- constraint lets each seller have at most one running test, across processes, without a lock.
-- The process driving a run refreshes `heartbeat_at` every few seconds; a running row whose heartbeat went
-- quiet was left by a process that stopped, and is marked interrupted.
CREATE TABLE IF NOT EXISTS stress_tests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seller_id uuid NOT NULL,
  drop_id uuid NOT NULL,
  rehearsal_drop_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'passed', 'failed', 'cancelled', 'interrupted')),
  attempts integer NOT NULL CHECK (attempts BETWEEN 1 AND 200000),
  concurrency integer NOT NULL CHECK (concurrency BETWEEN 1 AND 1000),
  running_slot uuid,
  receipt text,
  problem text,
  created_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  CONSTRAINT stress_tests_one_running_key UNIQUE (running_slot),
  CHECK ((status = 'running') = (running_slot IS NOT NULL))
);
