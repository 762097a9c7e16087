import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database";
import { migrate } from "../src/db/migrate";
import { openPglite } from "../src/db/pglite";
import type { RetryPolicy } from "../src/domain/purchase/retry";
import {
  auditStampede,
  buildReceipt,
  createLiveDrop,
  createSellerAccount,
  formatReceipt,
  LatencyHistogram,
  readAllOrders,
  readAudit,
  runStampede,
  type StampedeRun,
} from "../src/stampede";
import { type LocalServer, startLocalServer } from "../src/stampede/local-server";

/**
 * The runner against the real app listening on a socket (PGlite in memory). A wider retry budget than
 * production keeps a loaded CI machine from turning contention into "busy" here; busy is legitimate, but
 * these assertions count on every unit being sold.
 */
const patientRetries: RetryPolicy = { maxAttempts: 60, deadlineMs: 30_000, baseDelayMs: 2, maxDelayMs: 100 };

describe("stampede runner over real HTTP", () => {
  let db: Database;
  let server: LocalServer;
  let apiKey: string;
  let run: StampedeRun;

  beforeAll(async () => {
    db = await openPglite("memory", 60_000);
    await migrate(db);
    server = await startLocalServer({ db, retryPolicy: patientRetries });
    apiKey = await createSellerAccount(server.url);
    const drop = await createLiveDrop(server.url, apiKey, 60);
    const units = new Set<number>();
    run = await runStampede({
      baseUrl: server.url,
      dropRef: drop.slug,
      attempts: 600,
      concurrency: 50,
      onProgress: ({ unitNo }) => {
        if (unitNo !== undefined) units.add(unitNo);
      },
    });
    expect(units.size).toBe(60);
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it("600 attempts by 50 workers on 60 units: the receipt shows exactly 60 sold and no breach", async () => {
    const receipt = await auditStampede(run, apiKey, { backend: db.backend });
    expect(receipt.breaches).toEqual([]);
    expect(receipt.verdict).toBe("PASS");
    expect(receipt).toMatchObject({
      attempts: 600,
      quantity: 60,
      sold: 60,
      soldThisRun: 60,
      remaining: 0,
      oversold: 0,
      duplicateUnits: 0,
      unitsOutOfRange: 0,
      orderRows: 60,
      acknowledgedWins: 60,
      acknowledgedWithoutOrderRow: 0,
    });
    expect(receipt.counts).toMatchObject({ won: 60, sold_out: 540, busy: 0, error: 0, invalid: 0 });
    expect([...run.wins.units].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(receipt.latencyMs.win.count).toBe(60);
    expect(receipt.latencyMs.rejection.count).toBe(540);
    expect(formatReceipt(receipt)).toContain("Dropfront stampede receipt: PASS");
  });

  it("a doctored audit or order list is reported as a breach, so the receipt can fail", async () => {
    const audit = await readAudit(server.url, run.drop.id, apiKey);
    const orders = await readAllOrders(server.url, run.drop.id, apiKey);

    const oversold = buildReceipt(run, { ...audit, sold: 61, oversold: 1 }, orders);
    expect(oversold.verdict).toBe("FAIL");
    expect(oversold.breaches).toContain("oversold by 1 (sold 61 of 60)");

    const lostRow = buildReceipt(run, audit, {
      orderIds: orders.orderIds.slice(1),
      units: orders.units.slice(1),
    });
    expect(lostRow.breaches).toContain("1 acknowledged wins have no order row with their unit");

    const twice = buildReceipt(run, audit, { orderIds: orders.orderIds, units: orders.units.map(() => 7) });
    expect(twice.breaches).toContain("1 units appear on more than one order");

    // Sold out answered while stock remained: invariant (2).
    const early = buildReceipt(run, { ...audit, sold: 59, remaining: 1 }, orders);
    expect(early.breaches).toContain('"sold out" answered 540 times while 1 units remain');
  });

  it("the completeness rule allows unsold units only when busy answers leave too few attempts", () => {
    const audit = {
      quantity: 60,
      sold: 55,
      remaining: 5,
      oversold: 0,
      duplicateUnits: 0,
      unitsOutOfRange: 0,
    };
    const wins = { orderIds: run.wins.orderIds.slice(0, 55), units: run.wins.units.slice(0, 55) };
    const orders = { orderIds: [...wins.orderIds], units: [...wins.units] };
    const counts = { ...run.counts, won: 55, sold_out: 0 };
    // 100 attempts, 45 busy: 55 definitive answers for 60 units, every one a win — legitimate.
    const tooBusy = buildReceipt(
      { ...run, attempts: 100, counts: { ...counts, busy: 45 }, wins },
      audit,
      orders,
    );
    expect(tooBusy.breaches).toEqual([]);
    // 100 attempts, 40 busy: 60 definitive answers should have sold all 60.
    const short = buildReceipt(
      { ...run, attempts: 100, counts: { ...counts, busy: 40 }, wins },
      audit,
      orders,
    );
    expect(short.breaches).toEqual(["100 attempts with 40 busy for 60 units left should sell 60, sold 55"]);
  });

  it("--variants 5: fans spread over five sizes, each sold exactly, and the receipt judges every size", async () => {
    const drop = await createLiveDrop(server.url, apiKey, 52, "Five sizes", {}, 5);
    expect(drop.variants?.map((v) => v.quantity)).toEqual([11, 11, 10, 10, 10]);
    const sized = await runStampede({
      baseUrl: server.url,
      dropRef: drop.slug,
      attempts: 400,
      concurrency: 40,
    });
    const receipt = await auditStampede(sized, apiKey, { backend: db.backend });
    expect(receipt.breaches).toEqual([]);
    expect(receipt.verdict).toBe("PASS");
    expect(receipt).toMatchObject({
      quantity: 52,
      sold: 52,
      oversold: 0,
      duplicateUnits: 0,
      unitsOutOfRange: 0,
    });
    expect(receipt.counts).toMatchObject({ won: 52, sold_out: 348, busy: 0, error: 0, invalid: 0 });
    // Every size sold its own units 1..quantity, each once: counted across the drop, 1..52 exactly.
    const orders = await readAllOrders(server.url, drop.id, apiKey, sized.drop);
    expect([...orders.units].sort((a, b) => a - b)).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));
    // A unit of one size reported twice, or one past its size's quantity, fails the receipt.
    const audit = await readAudit(server.url, drop.id, apiKey);
    const doubled = buildReceipt(sized, audit, {
      ...orders,
      units: orders.units.map((u, i) => (i === 1 ? orders.units[0]! : u)),
    });
    expect(doubled.breaches).toContain("1 units appear on more than one order");
    const outside = buildReceipt(sized, audit, {
      ...orders,
      units: orders.units.map((u, i) => (i === 0 ? 0 : u)),
    });
    expect(outside.verdict).toBe("FAIL");
  });

  it("an aborted signal stops handing out attempts; what was sent is still exact", async () => {
    const drop = await createLiveDrop(server.url, apiKey, 500);
    const controller = new AbortController();
    const cancelled = await runStampede({
      baseUrl: server.url,
      dropRef: drop.id,
      attempts: 100_000,
      concurrency: 10,
      signal: controller.signal,
      onProgress: ({ answered }) => {
        if (answered === 40) controller.abort();
      },
    });
    expect(cancelled.cancelled).toBe(true);
    expect(cancelled.attempts).toBeGreaterThanOrEqual(40);
    expect(cancelled.attempts).toBeLessThan(60);
    const receipt = await auditStampede(cancelled, apiKey);
    expect(receipt.breaches).toEqual([]);
    expect(receipt.sold).toBe(cancelled.attempts);
  });
});

describe("latency histogram", () => {
  it("reads percentiles back within 2 % and keeps the exact maximum", () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i++) h.record(i / 100); // 0.01 ms .. 100 ms, evenly
    expect(h.count).toBe(10_000);
    expect(h.percentile(0.5)! / 50).toBeCloseTo(1, 1);
    expect(Math.abs(h.percentile(0.99)! / 99 - 1)).toBeLessThan(0.02);
    expect(h.max).toBe(100);
    expect(new LatencyHistogram().percentile(0.5)).toBeNull();
    const other = new LatencyHistogram();
    other.record(5000);
    h.merge(other);
    expect(h.max).toBe(5000);
    expect(h.percentile(1)).toBe(5000);
  });
});
