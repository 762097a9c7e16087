import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database";
import { createLiveDrop, createSellerAccount } from "../src/stampede";
import { type LocalServer, startLocalServer } from "../src/stampede/local-server";
import { ADMIN_URL, isAvailable, openTestDatabase, type TestBackend } from "./support/databases";
import { describeVerdict, faultStampede, settleAndAudit } from "./support/fault-stampede";

/**
 * The app's PostgreSQL backends are killed (`pg_terminate_backend`) every ~200 ms while a stampede buys:
 * any statement can lose its connection — the drop lookup, the purchase, the key lookup after a loss, a
 * pooled client that died while idle. Each must end in a final answer or `busy`, never a 500.
 * FAULT_ATTEMPTS raises the size (CI: 2,000 attempts on 300 units).
 */
const attempts = Number(process.env.FAULT_ATTEMPTS ?? 2000);
const quantity = Math.round(attempts * 0.5);

for (const backend of ["postgres-read-committed", "postgres-repeatable-read"] as TestBackend[]) {
  describe.skipIf(!isAvailable(backend))(`backends terminated during a stampede (${backend})`, () => {
    let db: Database;
    let server: LocalServer;
    let admin: pg.Client;
    const unexpected: unknown[] = [];

    beforeAll(async () => {
      db = await openTestDatabase(backend, { poolSize: 8, acquireTimeoutMs: 2000 });
      server = await startLocalServer({ db, logError: (error) => unexpected.push(error) });
      admin = new pg.Client({ connectionString: ADMIN_URL });
      await admin.connect();
    });
    afterAll(async () => {
      await admin?.end();
      await server?.close();
      await db?.close();
    });

    it("answers busy, never 500; every 201 has its row; nothing oversold; lost answers resolve by key", async () => {
      const apiKey = await createSellerAccount(server.url);
      const drop = await createLiveDrop(server.url, apiKey, quantity);
      const { rows } = await db.query<{ name: string }>("SELECT current_database() AS name");
      const database = rows[0]!.name;
      let terminated = 0;
      let killing = true;
      const killer = (async () => {
        while (killing) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          const result = await admin.query<{ killed: boolean }>(
            `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
             WHERE datname = $1 AND pid <> pg_backend_pid()`,
            [database],
          );
          terminated += result.rows.filter((row) => row.killed).length;
        }
      })();
      const run = await faultStampede({ baseUrl: server.url, dropId: drop.id, attempts, concurrency: 40 });
      killing = false;
      await killer;

      const verdict = await settleAndAudit(run, apiKey);
      console.info(
        `${describeVerdict(`terminate (${backend})`, verdict)}; ${terminated} backends terminated`,
      );
      expect(terminated).toBeGreaterThan(0);
      expect(verdict.breaches).toEqual([]);
      expect(verdict.internalErrors).toBe(0);
      expect(unexpected).toEqual([]);
      expect(verdict.oversold).toBe(0);
      expect(verdict.sold).toBe(quantity);
    });
  });
}
