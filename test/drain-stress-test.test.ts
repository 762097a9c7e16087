import type { Hono } from "hono";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServerProcess } from "../bench/server-process";
import { SHUTDOWN_PROBLEM } from "../src/domain/stress-test/stress-test";
import { DAY_MS, localFromNow } from "./support/clock";
import { createScratchPostgres, postgresAvailable } from "./support/databases";
import { TestBrowser } from "./web-seller-browser";

/**
 * Issue 15 §6: on SIGTERM a running Stress Test is cancelled, and its receipt says why. The real server
 * in a child process (Bun, as `npm start` runs it) on PostgreSQL: a seller starts the largest Stress Test,
 * the process is told to stop while it runs, and afterwards the database holds the run as cancelled with
 * a receipt of what was sent, saying the server was shutting down; nothing is left "running".
 */
describe.skipIf(!postgresAvailable)("SIGTERM with a Stress Test running", { timeout: 180_000 }, () => {
  let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
  let databaseUrl: string;
  let server: ServerProcess;

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    databaseUrl = scratch.url;
    server = await startServerProcess({
      DSQL_ENDPOINT: undefined,
      DATABASE_URL: databaseUrl,
      DRAIN_GRACE_MS: "300",
      DRAIN_TIMEOUT_MS: "20000",
    });
  }, 120_000);
  afterAll(async () => {
    server?.kill("SIGKILL");
    await scratch?.drop();
  });

  it("cancels the run, writes its receipt saying the server was shutting down, and exits 0", async () => {
    // The seller's pages over real HTTP (redirects are the test's to follow, as with app.request).
    const overHttp = {
      request: (url: string, init?: RequestInit) => fetch(url, { ...init, redirect: "manual" }),
    } as unknown as Hono;
    const ada = new TestBrowser(overHttp, server.url);
    expect(
      (await ada.signUp({ name: "Ada", email: "ada@example.com", password: "correct horse battery" })).status,
    ).toBe(303);
    const created = await ada.submit("/seller/drops/new", "/seller/drops", {
      title: "Shutdown",
      description: "",
      price: "5.00",
      currency: "usd",
      quantity: "50000",
      maxPerFan: "1",
      startsAt: localFromNow(30 * DAY_MS),
      timeZone: "UTC",
    });
    expect(created.status).toBe(303);
    const slug = created.headers.get("location")!.split("/").pop()!;
    const started = await ada.submit(`/seller/drops/${slug}`, `/seller/drops/${slug}/stress`, {
      attempts: "50000",
      concurrency: "8",
    });
    expect(started.status).toBe(303);
    const id = started.headers.get("location")!.split("/").pop()!;

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      // Stop the process once the run is selling (some rehearsal orders are in).
      for (;;) {
        const { rows } = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM orders o JOIN stress_tests s ON s.rehearsal_drop_id = o.drop_id
           WHERE s.id = $1::uuid`,
          [id],
        );
        if (rows[0]!.n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      server.kill("SIGTERM");
      expect(await server.exited).toBe(0);

      const { rows } = await db.query<{ status: string; problem: string | null; receipt: string | null }>(
        "SELECT status, problem, receipt FROM stress_tests WHERE id = $1::uuid",
        [id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]!.status).toBe("cancelled");
      expect(rows[0]!.problem).toBe(SHUTDOWN_PROBLEM);
      const receipt = JSON.parse(rows[0]!.receipt ?? "null") as {
        cancelled: boolean;
        attempts: number;
        oversold: number;
        duplicateUnits: number;
      } | null;
      expect(receipt).toMatchObject({ cancelled: true, oversold: 0, duplicateUnits: 0 });
      expect(receipt!.attempts).toBeLessThan(50_000);
    } finally {
      await db.end();
    }
  });
});
