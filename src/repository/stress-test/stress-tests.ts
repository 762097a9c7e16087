/** Stress Test runs and their receipts. */
import type { Database } from "../../db/database";

export type StressTestStatus = "running" | "passed" | "failed" | "cancelled" | "interrupted";

/** A stress_tests row; the receipt stays the JSON text it is stored as, the domain reads it. */
export interface StressTestRow {
  id: string;
  sellerId: string;
  dropId: string;
  rehearsalDropId: string;
  status: StressTestStatus;
  attempts: number;
  concurrency: number;
  receiptJson: string | null;
  problem: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

const STRESS_TEST_COLUMNS = `id, seller_id, drop_id, rehearsal_drop_id, status, attempts, concurrency,
  receipt, problem, created_at, finished_at`;

interface StressTestDbRow {
  id: string;
  seller_id: string;
  drop_id: string;
  rehearsal_drop_id: string;
  status: StressTestStatus;
  attempts: number;
  concurrency: number;
  receipt: string | null;
  problem: string | null;
  created_at: Date;
  finished_at: Date | null;
}

const toStressTest = (row: StressTestDbRow): StressTestRow => ({
  id: row.id,
  sellerId: row.seller_id,
  dropId: row.drop_id,
  rehearsalDropId: row.rehearsal_drop_id,
  status: row.status,
  attempts: row.attempts,
  concurrency: row.concurrency,
  receiptJson: row.receipt,
  problem: row.problem,
  createdAt: new Date(row.created_at),
  finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
});

/**
 * Records a running test. Its running_slot is the seller's id, so a second running test of the same seller
 * violates stress_tests_one_running_key (the caller turns that into "one at a time").
 */
export async function insertStressTest(
  db: Database,
  test: {
    sellerId: string;
    dropId: string;
    rehearsalDropId: string;
    attempts: number;
    concurrency: number;
  },
): Promise<StressTestRow> {
  const { rows } = await db.query<StressTestDbRow>(
    `INSERT INTO stress_tests (seller_id, drop_id, rehearsal_drop_id, status, attempts, concurrency,
                               running_slot)
     VALUES ($1::uuid, $2::uuid, $3::uuid, 'running', $4::int, $5::int, $1::uuid)
     RETURNING ${STRESS_TEST_COLUMNS}`,
    [test.sellerId, test.dropId, test.rehearsalDropId, test.attempts, test.concurrency],
  );
  return toStressTest(rows[0]!);
}

/** The runner is still at work: keeps the row from being taken for one a stopped process left behind. */
export async function touchStressTest(db: Database, id: string): Promise<void> {
  await db.query("UPDATE stress_tests SET heartbeat_at = now() WHERE id = $1::uuid AND status = 'running'", [
    id,
  ]);
}

/** Ends a running test with its outcome and frees the seller's running slot; a finished one is left as is. */
export async function finishStressTest(
  db: Database,
  id: string,
  outcome: {
    status: Exclude<StressTestStatus, "running">;
    receiptJson: string | null;
    problem: string | null;
  },
): Promise<StressTestRow | undefined> {
  const { rows } = await db.query<StressTestDbRow>(
    `UPDATE stress_tests
     SET status = $2::text, receipt = $3::text, problem = $4::text, running_slot = NULL, finished_at = now()
     WHERE id = $1::uuid AND status = 'running'
     RETURNING ${STRESS_TEST_COLUMNS}`,
    [id, outcome.status, outcome.receiptJson, outcome.problem],
  );
  return rows[0] && toStressTest(rows[0]);
}

/**
 * Marks interrupted every running test whose heartbeat is older than `staleSeconds`, except those this
 * process is driving (`liveIds`): the process that drove it stopped. Returns how many it marked.
 */
export async function interruptAbandonedStressTests(
  db: Database,
  liveIds: readonly string[],
  staleSeconds: number,
): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE stress_tests
     SET status = 'interrupted', running_slot = NULL, finished_at = now(),
         problem = 'The server process running this test stopped before it finished.'
     WHERE running_slot IS NOT NULL
       AND heartbeat_at < now() - $2::int * interval '1 second'
       AND NOT (id = ANY ($1::uuid[]))
     RETURNING id`,
    [liveIds, staleSeconds],
  );
  return rows.length;
}

export async function findStressTest(db: Database, id: string): Promise<StressTestRow | undefined> {
  const { rows } = await db.query<StressTestDbRow>(
    `SELECT ${STRESS_TEST_COLUMNS} FROM stress_tests WHERE id = $1::uuid`,
    [id],
  );
  return rows[0] && toStressTest(rows[0]);
}

/** The seller's one running test, if any (found through its running slot). */
export async function findRunningStressTest(
  db: Database,
  sellerId: string,
): Promise<StressTestRow | undefined> {
  const { rows } = await db.query<StressTestDbRow>(
    `SELECT ${STRESS_TEST_COLUMNS} FROM stress_tests WHERE running_slot = $1::uuid`,
    [sellerId],
  );
  return rows[0] && toStressTest(rows[0]);
}

/** A drop's tests, newest first. */
export async function listStressTests(db: Database, dropId: string, limit: number): Promise<StressTestRow[]> {
  const { rows } = await db.query<StressTestDbRow>(
    `SELECT ${STRESS_TEST_COLUMNS} FROM stress_tests WHERE drop_id = $1::uuid
     ORDER BY created_at DESC, id DESC
     LIMIT $2::int`,
    [dropId, limit],
  );
  return rows.map(toStressTest);
}

/** A seller's recent Stress Testing, for the quotas: runs started in the last hour, attempts in the last day. */
export interface StressUsage {
  runsLastHour: number;
  attemptsLastDay: number;
  /** Seconds until the oldest run of the last hour, and of the last day, leaves its window. */
  hourFreesInSeconds: number;
  dayFreesInSeconds: number;
}

/** Counted from the stress_tests rows themselves, so every process of the shop sees the same usage. */
export async function stressUsage(db: Database, sellerId: string): Promise<StressUsage> {
  const { rows } = await db.query<{
    runs_last_hour: string;
    attempts_last_day: string;
    hour_frees: number | null;
    day_frees: number | null;
  }>(
    `SELECT sum(CASE WHEN created_at > now() - interval '1 hour' THEN 1 ELSE 0 END)::text AS runs_last_hour,
            coalesce(sum(attempts), 0)::text AS attempts_last_day,
            ceil(extract(epoch FROM min(CASE WHEN created_at > now() - interval '1 hour' THEN created_at END)
                 + interval '1 hour' - now()))::int AS hour_frees,
            ceil(extract(epoch FROM min(created_at) + interval '1 day' - now()))::int AS day_frees
     FROM stress_tests
     WHERE seller_id = $1::uuid AND created_at > now() - interval '1 day'`,
    [sellerId],
  );
  const row = rows[0];
  return {
    runsLastHour: Number(row?.runs_last_hour ?? 0),
    attemptsLastDay: Number(row?.attempts_last_day ?? 0),
    hourFreesInSeconds: Math.max(1, row?.hour_frees ?? 1),
    dayFreesInSeconds: Math.max(1, row?.day_frees ?? 1),
  };
}
