import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { probeConnection } from "../src/db/dsql";
import { type EndpointSwitch, type FailoverDatabase, failoverDatabase } from "../src/db/failover";
import { migrate } from "../src/db/migrate";
import { type PoolOptions, poolDatabase } from "../src/db/postgres";
import type { RetryPolicy } from "../src/domain/purchase/retry";
import { createScratchPostgres, postgresAvailable } from "./support/databases";
import { audit, buy, createDrop, createSeller } from "./support/shop-fixtures";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy";

/**
 * Multi-region Aurora DSQL, as near as this machine gets: two "regional endpoints" are two TCP proxies in
 * front of one PostgreSQL at REPEATABLE READ (one strongly consistent database behind both, as DSQL's
 * synchronous replication gives). The local endpoint is cut off mid-stampede and later comes back.
 */
const patient: RetryPolicy = { maxAttempts: 40, deadlineMs: 20_000, baseDelayMs: 2, maxDelayMs: 100 };
const QUANTITY = 150;
const ATTEMPTS = 900;
const CONCURRENCY = 24;

describe.runIf(postgresAvailable)("DSQL_ENDPOINTS failover", () => {
  let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
  let local: TcpProxy;
  let remote: TcpProxy;
  let db: FailoverDatabase;
  const switches: EndpointSwitch[] = [];

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    local = await startTcpProxy({ host: "127.0.0.1", port: 5432 });
    remote = await startTcpProxy({ host: "127.0.0.1", port: 5432 });
    const member = (name: string, proxy: TcpProxy) => {
      const config: PoolOptions = {
        connectionString: proxy.urlFor(scratch.url),
        max: 4,
        acquireTimeoutMs: 2000,
        options: "-c default_transaction_isolation=repeatable\\ read",
      };
      // Labelled PostgreSQL only so the migrations build their indexes here at once (DSQL's ASYNC is unknown
      // to PostgreSQL); the failover itself does not care which backend a member is.
      return {
        name,
        db: poolDatabase("postgres", "repeatable read", config),
        probe: () => probeConnection(config, 1000),
      };
    };
    db = failoverDatabase([member("local", local), member("remote", remote)], {
      recheckMs: 200,
      onSwitch: (change) => switches.push(change),
    });
    await migrate(db);
  });

  afterAll(async () => {
    await db?.close();
    await local?.close();
    await remote?.close();
    await scratch?.drop();
  });

  it("sells exactly N when the local endpoint is cut off mid-stampede, loses nothing, and moves back", async () => {
    const app = createApp({ db, retryPolicy: patient, logError: () => undefined });
    const { apiKey } = await createSeller(app);
    const drop = await createDrop(app, apiKey, { quantity: QUANTITY });
    const answers: { key: string; status: number; orderId?: string; code?: string; during: boolean }[] = [];
    let next = 0;
    let outage: "before" | "during" | "after" = "before";

    const worker = async () => {
      while (next < ATTEMPTS) {
        const key = `k-${next++}-${randomUUID()}`;
        const sentDuring = outage === "during";
        const { status, body } = await buy(app, drop.id, `${key}@example.com`, key);
        answers.push({ key, status, orderId: body.order?.id, code: body.error?.code, during: sentDuring });
        const wins = answers.filter((a) => a.status === 201).length;
        if (outage === "before" && wins >= 40) {
          outage = "during";
          local.refuse = true;
          local.cutAll();
        } else if (outage === "during" && answers.length >= ATTEMPTS / 2) {
          outage = "after";
          local.refuse = false;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(answers.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
    // Sales went on through the remote endpoint while the local one was cut off.
    expect(answers.filter((a) => a.during && a.status === 201).length).toBeGreaterThan(0);
    expect(new Set(answers.map((a) => a.status))).toEqual(
      new Set([201, 409, ...(answers.some((a) => a.status === 503) ? [503] : [])]),
    );
    expect(answers.filter((a) => a.status === 409).every((a) => a.code === "sold_out")).toBe(true);

    // A busy answer may hide a commit whose reply was lost when the endpoint went: the same key, asked
    // again on the surviving endpoint, gets that very order back and never a second unit.
    for (const busy of answers.filter((a) => a.status === 503)) {
      const again = await buy(app, drop.id, `${busy.key}@example.com`, busy.key);
      expect([200, 201, 409]).toContain(again.status);
    }

    const { rows } = await db.query<{ id: string; idempotency_key: string }>(
      "SELECT id, idempotency_key FROM orders WHERE drop_id = $1::uuid",
      [drop.id],
    );
    const committed = new Map(rows.map((r) => [r.idempotency_key, r.id]));
    for (const win of answers.filter((a) => a.status === 201))
      expect(committed.get(win.key)).toBe(win.orderId);
    expect((await audit(app, drop.id, apiKey)).body).toMatchObject({
      quantity: QUANTITY,
      sold: QUANTITY,
      remaining: 0,
      oversold: 0,
      duplicateUnits: 0,
    });

    for (let i = 0; i < 100 && db.activeEndpoint() !== "local"; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(switches).toEqual([
      { from: "local", to: "remote", reason: "unreachable" },
      { from: "remote", to: "local", reason: "recovered" },
    ]);
  });
});
