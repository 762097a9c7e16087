import { openPostgres } from "../../src/db/postgres";
import { createFairness } from "../../src/domain/fairness";

// One process's run of a draw, for the test where two processes race for it: argv = database url,
// isolation ("read committed" | "repeatable read"), drop id. Prints "ranked true|false" and exits.
const [url, isolation, dropId] = process.argv.slice(2) as [
  string,
  "read committed" | "repeatable read",
  string,
];
const db = openPostgres({ url, isolation, poolSize: 2, acquireTimeoutMs: 30_000 });
const fairness = createFairness({
  db,
  retryPolicy: { maxAttempts: 200, deadlineMs: 120_000, baseDelayMs: 2, maxDelayMs: 100 },
});
try {
  console.log(`ranked ${await fairness.runDraw(dropId)}`);
} finally {
  await db.close();
}
