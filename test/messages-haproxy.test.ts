import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, HAPROXY, startCluster } from "../bench/cluster";
import { createFreshDatabase, type FreshDatabase } from "../bench/fresh-database";
import type { Database } from "../src/db/database";
import { migrate } from "../src/db/migrate";
import { openPostgres } from "../src/db/postgres";
import { createLiveDrop, createSellerAccount, runStampede } from "../src/stampede";
import { ADMIN_URL, postgresAvailable } from "./support/databases";
import { expectEveryOrderAnnounced } from "./support/webhook-proof";
import { eventually, startReceiver } from "./support/webhook-receiver";

/**
 * Issue 16 §4 through real processes: two servers (`npm start`) behind HAProxy on one fresh PostgreSQL
 * database, each running its own dispatcher; a 1,000-unit stampede through HAProxy; a webhook receiver that
 * answers 500 to a fifth of the requests and is restarted mid-run. Afterwards every order.created arrived,
 * for exactly the drop's orders, signed, with gap-free positions. At READ COMMITTED and REPEATABLE READ.
 */
const haproxyFound = spawnSync(HAPROXY, ["-v"]).status === 0;
if (!haproxyFound && process.env.CI)
  throw new Error(`${HAPROXY} is required in CI (apt-get install haproxy)`);

const UNITS = 1000;

describe.skipIf(!postgresAvailable || !haproxyFound).each(["read committed", "repeatable read"] as const)(
  "webhooks from two processes behind HAProxy at %s",
  (isolation) => {
    let database: FreshDatabase;
    let db: Database;
    let cluster: Cluster;

    beforeAll(async () => {
      database = await createFreshDatabase(ADMIN_URL);
      db = openPostgres({ url: database.url, poolSize: 2, acquireTimeoutMs: 5000, isolation });
      await migrate(db);
      cluster = await startCluster({
        processes: 2,
        env: {
          DATABASE_URL: database.url,
          DB_ISOLATION: isolation,
          WEBHOOKS_ALLOW_PRIVATE: "true",
          MESSAGES_TICK_MS: "50",
          MESSAGES_RETRY_SECONDS: "0.05,0.1,0.2,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5",
        },
      });
    }, 120_000);

    afterAll(async () => {
      await cluster?.stop();
      await db?.close();
      await database?.drop();
    });

    it(`announces all ${UNITS} orders despite 500s and a restart of the receiver`, async () => {
      const receiver = await startReceiver((_, index) => (index % 5 === 4 ? 500 : 200));
      try {
        const apiKey = await createSellerAccount(cluster.url);
        const hook = await fetch(`${cluster.url}/api/webhooks`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
          body: JSON.stringify({ url: receiver.url }),
        });
        expect(hook.status).toBe(201);
        const { secret } = (await hook.json()) as { secret: string };
        const drop = await createLiveDrop(cluster.url, apiKey, UNITS, "Announced");
        let restarted = false;
        const restartMidRun = eventually(async () => {
          if (receiver.received.length > UNITS / 4) {
            restarted = true;
            await receiver.restart(300);
          }
          return restarted;
        }, 240_000);
        const run = await runStampede({
          baseUrl: cluster.url,
          dropRef: drop.id,
          attempts: UNITS + 500,
          concurrency: 40,
        });
        expect(run.counts.won).toBe(UNITS);
        await restartMidRun;
        await eventually(() => {
          const payloads = receiver.accepted().filter((p) => p.data.dropId === drop.id);
          const created = new Set(
            payloads.filter((p) => p.type === "order.created").map((p) => p.data.orderId),
          );
          return created.size >= UNITS && payloads.some((p) => p.type === "drop.sold_out");
        }, 240_000);
        expect(receiver.received.some((r) => r.status === 500)).toBe(true);
        await expectEveryOrderAnnounced(db, receiver.received, secret, drop.id, UNITS);
      } finally {
        await receiver.close();
      }
    }, 400_000);
  },
);
