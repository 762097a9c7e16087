import { createApp } from "../../src/app";
import type { Database } from "../../src/db/database";
import { TestPaymentProvider } from "../../src/domain/checkout/payments";
import type { RetryPolicy } from "../../src/domain/purchase/retry";
import type { PurchaseEngineOptions } from "../../src/domain/shop";
import type { PurchaseForm } from "../../src/repository";
import { fixedClock, testClock } from "./clock";
import { ALL_BACKENDS, openTestDatabase, type TestBackend } from "./databases";
import { createSeller } from "./shop-fixtures";

/**
 * What the contention suites share. The retry budget is wider than production's so that a slow shared CI
 * machine cannot turn contention into "busy" answers; "busy" is still a legitimate answer, it is just not
 * what these suites assert about.
 */
export const TEST_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 60,
  deadlineMs: 30_000,
  baseDelayMs: 2,
  maxDelayMs: 100,
};

/** Every backend, with the purchase in its one-statement form and in the explicit-transaction fallback. */
export const PURCHASE_SUITES = ALL_BACKENDS.flatMap((backend) =>
  (["cte", "transaction"] as PurchaseForm[]).map((form) => [backend, form] as const),
);

/** Starts `count` tasks at once and collects their results. */
export const race = <T>(count: number, task: (i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: count }, (_, i) => task(i)));

/** Answers counted by "status code", e.g. { "201 order": 100, "409 sold_out": 1900 }. */
export const tally = (answers: { status: number; body: { error?: { code: string } } }[]) => {
  const counts: Record<string, number> = {};
  for (const { status, body } of answers) {
    const key = `${status} ${body.error?.code ?? "order"}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
};

/** A fresh database on `backend`, the whole app on it with the test retry budget, and one seller. */
export async function openShop(
  backend: TestBackend,
  engine: Partial<PurchaseEngineOptions>,
  databaseOptions: Parameters<typeof openTestDatabase>[1] = {},
): Promise<{ db: Database; app: ReturnType<typeof createApp>; apiKey: string }> {
  const db = await openTestDatabase(backend, databaseOptions);
  const app = createApp({ db, retryPolicy: TEST_RETRY_POLICY, engine, logError: (e) => console.error(e) });
  const { apiKey } = await createSeller(app);
  return { db, app, apiKey };
}

/** A shop taking test payments on a fixed clock, with one seller: the setup of the checkout teeth suites. */
export async function openCheckoutShop(
  backend: TestBackend,
  payments = new TestPaymentProvider(),
): Promise<{ db: Database; app: ReturnType<typeof createApp>; apiKey: string }> {
  const db = await openTestDatabase(backend);
  const app = createApp({
    db,
    payments,
    retryPolicy: TEST_RETRY_POLICY,
    clock: fixedClock(testClock()),
    logError: (e) => console.error(e),
  });
  const { apiKey } = await createSeller(app);
  return { db, app, apiKey };
}

/** Orders of a drop, counted in the database. */
export async function orderCount(db: Database, dropId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM orders WHERE drop_id = $1::uuid",
    [dropId],
  );
  return rows[0]!.n;
}
