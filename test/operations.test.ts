import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database, QueryOptions } from "../src/db/database";
import { createSellerDashboard } from "../src/domain/books/dashboard";
import { TryAgain } from "../src/domain/purchase/retry";
import { retryKind } from "../src/observability/metrics";
import { Lifecycle } from "../src/process/lifecycle";
import { ALL_BACKENDS, isAvailable, openTestDatabase, type TestBackend } from "./support/databases";
import { audit, buy, createDrop, createSeller } from "./support/shop-fixtures";

/** Opening a database (PGlite's WebAssembly start) can take half a minute on a busy CI machine. */
const SLOW_START_MS = 120_000;

/** The value of one Prometheus sample line, e.g. `dropfront_purchases_total{outcome="placed"}`. */
function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

const TOKEN = "metrics-token-for-tests-0123456789";

/** One embedded database for the whole file (it is the slow thing to open); each test makes its own drop. */
let pglite: Database;
beforeAll(async () => {
  pglite = await openTestDatabase("pglite");
}, SLOW_START_MS);
afterAll(() => pglite.close());
const BACKENDS = ALL_BACKENDS.filter(
  (b): b is TestBackend => b !== "postgres-repeatable-read" && b !== "dsql",
);

describe.each(BACKENDS)("metrics, dashboard and audit agree after a stampede (%s)", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = backend === "pglite" ? pglite : await openTestDatabase(backend);
    app = createApp({ db, metricsAccess: { mode: "token", token: TOKEN }, logError: () => undefined });
  }, SLOW_START_MS);
  afterAll(() => (backend === "pglite" ? undefined : db?.close()));

  it.skipIf(!isAvailable(backend))("counts every answer once, by outcome", async () => {
    const { apiKey } = await createSeller(app);
    const drop = await createDrop(app, apiKey, { quantity: 30 });
    const statuses: number[] = [];
    for (let wave = 0; wave < 4; wave++) {
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => buy(app, drop.id, `fan-${wave}-${i}@example.com`)),
      );
      statuses.push(...answers.map((answer) => answer.status));
    }
    const count = (status: number) => statuses.filter((s) => s === status).length;

    const scrape = await app.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get("content-type")).toContain("text/plain");
    const text = await scrape.text();
    const placed = sample(text, 'dropfront_purchases_total{outcome="placed"}');
    const soldOut = sample(text, 'dropfront_purchases_total{outcome="sold_out"}');
    const busy = sample(text, 'dropfront_purchases_total{outcome="busy"}');

    const seller = await app.shop.sellerByApiKey(apiKey);
    const live = await createSellerDashboard(db, app.shop).live(seller, drop.id);
    const { body: audited } = await audit(app, drop.id, apiKey);

    expect(placed).toBe(30);
    expect(live.sold).toBe(30);
    expect(audited).toMatchObject({ sold: 30, oversold: 0 });
    expect(count(201)).toBe(30);
    expect(soldOut).toBe(count(409));
    expect(busy).toBe(count(503));
    expect(placed! + soldOut! + busy!).toBe(160);
    expect(sample(text, "dropfront_purchase_duration_seconds_count")).toBe(160);

    expect(sample(text, "dropfront_db_pool_size")).toBeGreaterThanOrEqual(1);
    expect(sample(text, "dropfront_db_acquire_timeouts")).toBe(0);
    expect(sample(text, "dropfront_sse_streams_open")).toBe(0);
    expect(sample(text, "dropfront_stress_tests_running")).toBe(0);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(text).toContain("nodejs_eventloop_lag_seconds");
    if (backend === "pglite") expect(sample(text, "dropfront_pglite_memory_bytes")).toBeGreaterThan(0);
  });
});

describe("/metrics access", () => {
  let db: Database;
  beforeAll(() => {
    db = pglite;
  });

  it("is off unless configured, and behind the bearer token when one is set", async () => {
    expect((await createApp({ db }).request("/metrics")).status).toBe(404);
    const guarded = createApp({ db, metricsAccess: { mode: "token", token: TOKEN } });
    expect((await guarded.request("/metrics")).status).toBe(401);
    const wrong = await guarded.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    expect((await createApp({ db, metricsAccess: { mode: "public" } }).request("/metrics")).status).toBe(200);
  });
});

describe("retries are counted by kind", () => {
  const sqlError = (code: string, message: string) => Object.assign(new Error(message), { code });
  it("names PostgreSQL's and DSQL's conflicts, deadlocks and lost connections", () => {
    expect(retryKind(sqlError("40001", "could not serialize access due to concurrent update"))).toBe("40001");
    expect(
      retryKind(sqlError("40001", "change conflicts with another transaction, please retry: (OC000)")),
    ).toBe("OC000");
    expect(
      retryKind(sqlError("40001", "schema has been updated by another transaction, please retry: (OC001)")),
    ).toBe("OC001");
    expect(retryKind(sqlError("40P01", "deadlock detected"))).toBe("40P01");
    expect(retryKind(new TryAgain("connection lost before commit"))).toBe("connection_lost");
    expect(retryKind(new TryAgain("bucket emptied meanwhile"))).toBe("stock_moved");
  });
});

describe("/healthz and /readyz", () => {
  let db: Database;
  beforeAll(() => {
    db = pglite;
  });

  const readiness = async (app: ReturnType<typeof createApp>) => {
    const response = await app.request("/readyz");
    return { status: response.status, body: (await response.json()) as { ready: boolean; reason?: string } };
  };

  it("is ready with the database answering and every migration applied, and not while draining", async () => {
    const lifecycle = new Lifecycle();
    const app = createApp({ db, lifecycle });
    expect(await readiness(app)).toEqual({ status: 200, body: { ready: true } });
    lifecycle.drain();
    expect(await readiness(app)).toEqual({ status: 503, body: { ready: false, reason: "draining" } });
    expect((await app.request("/healthz")).status).toBe(200);
    expect((await app.request("/healthz")).headers.get("connection")).toBe("close");
  });

  it("is not ready when a migration is missing or the database does not answer", async () => {
    const missingOne: Database = {
      ...db,
      async query<Row>(text: string, params?: readonly unknown[], options?: QueryOptions) {
        const result = await db.query<Row>(text, params, options);
        return /FROM schema_migrations/.test(text) ? { rows: result.rows.slice(1) } : result;
      },
    };
    const pending = await readiness(createApp({ db: missingOne }));
    expect(pending.status).toBe(503);
    expect(pending.body.reason).toMatch(/^migrations pending: 0001_create_sellers\.sql/);

    const down: Database = { ...db, query: () => Promise.reject(new Error("connect ECONNREFUSED")) };
    expect(await readiness(createApp({ db: down }))).toEqual({
      status: 503,
      body: { ready: false, reason: "database unreachable" },
    });
  });
});
