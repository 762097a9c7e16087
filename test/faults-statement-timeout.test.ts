import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { type Database, isDatabaseUnavailable, sqlState } from "../src/db/database";
import { createLiveDrop, createSellerAccount } from "../src/stampede";
import { type LocalServer, startLocalServer } from "../src/stampede/local-server";
import { isAvailable, openTestDatabase } from "./support/databases";
import { describeVerdict, faultStampede, settleAndAudit } from "./support/fault-stampede";
import { openProxiedTestDatabase, type ProxiedTestDatabase } from "./support/proxied-postgres";
import { buy, createDrop, createSeller } from "./support/shop-fixtures";

/**
 * Statement timeouts and a saturated pool. Another session holds every stock row of a drop locked, so each
 * purchase waits on the lock until `statement_timeout` cancels it (57014), while the other buyers wait for
 * one of the pool's two connections. Every answer must come back bounded (busy), nothing must commit while
 * the rows are held, and once the lock is released the same keys buy normally.
 */
const STATEMENT_TIMEOUT_MS = 300;

describe.skipIf(!isAvailable("postgres-read-committed"))("statement timeout and a saturated pool", () => {
  let database: ProxiedTestDatabase;
  let server: LocalServer;
  let apiKey: string;
  const unexpected: unknown[] = [];

  beforeAll(async () => {
    database = await openProxiedTestDatabase("postgres-read-committed", {
      poolSize: 2,
      acquireTimeoutMs: 500,
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
    });
    server = await startLocalServer({
      db: database.db,
      retryPolicy: { maxAttempts: 4, deadlineMs: 1000, baseDelayMs: 2, maxDelayMs: 50 },
      logError: (error) => unexpected.push(error),
    });
    apiKey = await createSellerAccount(server.url);
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  it("a statement running past the limit is cancelled with 57014, which the app treats as unavailable", async () => {
    const error = await database.db.query("SELECT pg_sleep(5)").catch((caught: unknown) => caught);
    expect(sqlState(error)).toBe("57014");
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it("a network that swallows every packet: buyers hear busy instead of waiting forever, then buy again", async () => {
    const drop = await createLiveDrop(server.url, apiKey, 5);
    const key = "black-hole-key";
    const buyOnce = () =>
      fetch(`${server.url}/api/drops/${drop.id}/purchase`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": key },
        body: JSON.stringify({ fan: "patient@x.io" }),
        signal: AbortSignal.timeout(30_000), // a hang shows up as this abort, far beyond the bounded waits
      });
    expect((await fetch(`${server.url}/api/drops/${drop.id}`)).status).toBe(200); // a pooled connection exists
    database.proxy.delayMs = 600_000; // nothing sent either way arrives for ten minutes: no FIN, no RST
    let answer: Response;
    try {
      answer = await buyOnce();
    } finally {
      database.proxy.delayMs = 0;
    }
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("busy");
    const retry = await buyOnce();
    expect(retry.status).toBe(201);
    expect((await buyOnce()).status).toBe(200);
  });

  it("stuck stock rows: every buyer hears busy, nothing commits, and the same keys buy once released", async () => {
    const drop = await createLiveDrop(server.url, apiKey, 25);
    const holder = new pg.Client({ connectionString: database.directUrl });
    await holder.connect();
    let run: Awaited<ReturnType<typeof faultStampede>>;
    try {
      await holder.query("BEGIN");
      await holder.query("UPDATE stock_buckets SET remaining = remaining WHERE drop_id = $1::uuid", [
        drop.id,
      ]);
      // A hang would show as a network error here, long before the test's own timeout.
      run = await faultStampede({
        baseUrl: server.url,
        dropId: drop.id,
        attempts: 30,
        concurrency: 8,
        requestTimeoutMs: 20_000,
      });
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
    }
    expect(run.answers.map((answer) => answer.status)).toEqual(run.answers.map(() => 503));
    expect(run.answers.every((answer) => answer.code === "busy")).toBe(true);
    // The cancelled purchases did not commit: no order exists until the keys are retried.
    const { rows } = await database.direct.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM orders WHERE drop_id = $1::uuid",
      [drop.id],
    );
    expect(rows[0]!.n).toBe(0);

    const verdict = await settleAndAudit(run, apiKey);
    console.info(describeVerdict("statement timeout + saturated pool", verdict));
    expect(verdict.breaches).toEqual([]);
    expect(verdict.sold).toBe(25);
    expect(verdict.lostAcknowledgements).toBe(0);
    expect(verdict.boughtOnRetry).toBe(25);
    expect(unexpected).toEqual([]);
  });
});

describe("a purchase cancelled as it committed (57014) is resolved by its key", () => {
  let base: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;
  let cancelNextPurchase = false;

  beforeAll(async () => {
    base = await openTestDatabase("pglite");
    // The purchase commits, but the answer the app gets is a cancellation: the race a cancel can lose.
    const db: Database = {
      ...base,
      query: (async (sql: string, params?: readonly unknown[]) => {
        const result = await base.query(sql, params);
        if (cancelNextPurchase && sql.includes("claimed AS")) {
          cancelNextPurchase = false;
          throw Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" });
        }
        return result;
      }) as Database["query"],
    };
    app = createApp({ db, logError: () => undefined });
    ({ apiKey } = await createSeller(app));
  });
  afterAll(async () => base?.close());

  it("answers 201 with the order that committed, once, and the retry replays it", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 2 });
    cancelNextPurchase = true;
    const key = randomUUID();
    const answer = await buy(app, drop.id, "cancelled@x.io", key);
    expect(answer.status).toBe(201);
    const { rows } = await base.query<{ id: string }>("SELECT id FROM orders WHERE drop_id = $1::uuid", [
      drop.id,
    ]);
    expect(rows).toEqual([{ id: answer.body.order!.id }]);
    expect((await buy(app, drop.id, "cancelled@x.io", key)).body.order).toEqual(answer.body.order);
  });
});
