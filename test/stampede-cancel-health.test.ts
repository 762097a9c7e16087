import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Audit } from "../src/domain/types";
import { buildReceipt, emptyCounts, LatencyHistogram, runStampede, type StampedeRun } from "../src/stampede";
import { headlineOf } from "../src/stampede/receipt";
import { runStampedeInWorker } from "../src/stampede/run-in-worker";

/**
 * A server that shows a live drop and then never answers a purchase: the overloaded server a cancel has
 * to get away from. It counts the purchases it is holding.
 */
function silentShop() {
  const held = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    if (req.method === "GET") {
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          drop: {
            id: "d",
            slug: "d",
            quantity: 10,
            remaining: 10,
            status: "live",
            startsAt: "",
            serverTime: "",
          },
        }),
      );
      return;
    }
    held.add(res);
    req.resume();
  });
  return {
    held,
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, "127.0.0.1", () =>
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
        ),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("cancelling a run whose server has stopped answering", () => {
  const shop = silentShop();
  let url: string;
  beforeAll(async () => {
    url = await shop.listen();
  });
  afterAll(() => shop.close());

  it("cuts the purchases in flight instead of waiting for answers that would take 10 minutes", async () => {
    const controller = new AbortController();
    const before = shop.held.size;
    const running = runStampede({
      baseUrl: url,
      dropRef: "d",
      attempts: 1000,
      concurrency: 8,
      requestTimeoutMs: 600_000,
      signal: controller.signal,
      abandonOnAbort: true,
    });
    await until(() => shop.held.size - before >= 8);
    controller.abort();
    const run = await running;
    expect(run).toMatchObject({ cancelled: true, attempts: 8, abandoned: 8, timeouts: 0 });
    expect(Object.values(run.counts).every((count) => count === 0)).toBe(true);
  });

  it("does the same from its worker thread, off the caller's event loop", async () => {
    const controller = new AbortController();
    const before = shop.held.size;
    const running = runStampedeInWorker({
      baseUrl: url,
      dropRef: "d",
      attempts: 1000,
      concurrency: 5,
      requestTimeoutMs: 600_000,
      signal: controller.signal,
    });
    await until(() => shop.held.size - before >= 5);
    controller.abort();
    const run = await running;
    expect(run).toMatchObject({ cancelled: true, attempts: 5, abandoned: 5 });
    // The histograms came back across the thread as working histograms.
    expect(run.latency.win).toBeInstanceOf(LatencyHistogram);
    expect(run.latency.win.count).toBe(0);
  });

  it("control: without the cut, the same purchases end only by timing out, counted as timeouts", async () => {
    const run = await runStampede({
      baseUrl: url,
      dropRef: "d",
      attempts: 3,
      concurrency: 3,
      requestTimeoutMs: 50,
    });
    expect(run).toMatchObject({ attempts: 3, abandoned: 0, timeouts: 3 });
    expect(run.counts.error).toBe(3);
  });
});

describe("the receipt keeps exactness apart from health", () => {
  const drop = {
    id: "d",
    slug: "d",
    quantity: 10,
    remaining: 10,
    status: "live" as const,
    startsAt: "",
    serverTime: "",
  };
  const units = Array.from({ length: 10 }, (_, i) => i + 1);
  const orderIds = units.map((unit) => `order-${unit}`);

  /** A run of `attempts` that won `won` of the units and otherwise got the given answers. */
  function runWith(won: number, counts: Partial<StampedeRun["counts"]>, extra: Partial<StampedeRun> = {}) {
    const wins = { orderIds: orderIds.slice(0, won), units: units.slice(0, won) };
    const all = { ...emptyCounts(), won, ...counts };
    const attempts = Object.values(all).reduce((sum, n) => sum + n, 0);
    return {
      baseUrl: "http://127.0.0.1:1",
      drop,
      runId: "r",
      concurrency: 10,
      attemptsPlanned: attempts,
      attempts,
      abandoned: 0,
      timeouts: 0,
      cancelled: false,
      counts: all,
      latency: {
        win: new LatencyHistogram(),
        rejection: new LatencyHistogram(),
        busy: new LatencyHistogram(),
      },
      wins,
      durationMs: 1000,
      lastWinAtMs: 500,
      problems: [],
      ...extra,
    } satisfies StampedeRun;
  }
  const audit = (sold: number): Audit => ({
    quantity: 10,
    sold,
    remaining: 10 - sold,
    oversold: 0,
    duplicateUnits: 0,
    unitsOutOfRange: 0,
  });
  const rows = (sold: number) => ({ orderIds: orderIds.slice(0, sold), units: units.slice(0, sold) });

  it("an exact run with 68 timeouts passes, and says so with the warning", () => {
    // 8 answered wins, 2 units sold to attempts whose answers timed out, the rest sold out.
    const run = runWith(8, { sold_out: 22, error: 68 }, { timeouts: 68 });
    const receipt = buildReceipt(run, audit(10), rows(10));
    expect(receipt.verdict).toBe("PASS");
    expect(receipt.breaches).toEqual([]);
    expect(receipt.warnings).toEqual(["68 requests timed out (server overloaded)"]);
    expect(headlineOf(receipt)).toBe("Exact — but 68 requests timed out (server overloaded)");
  });

  it("a healthy exact run is headlined as such; many busy answers and unexpected answers are warnings", () => {
    expect(headlineOf(buildReceipt(runWith(10, { sold_out: 20 }), audit(10), rows(10)))).toBe(
      "Exact and healthy",
    );
    const busy = buildReceipt(runWith(10, { sold_out: 10, busy: 5, invalid: 1 }), audit(10), rows(10));
    expect(busy.verdict).toBe("PASS");
    expect(busy.warnings).toEqual([
      "5 answers were busy (19.2 %): contention beyond the retry budget",
      "1 answer was invalid",
    ]);
  });

  it("rows nobody was told about are allowed only up to the attempts whose answers were lost", () => {
    const lost = runWith(8, { sold_out: 0, error: 1 }, { timeouts: 1 });
    const receipt = buildReceipt(lost, audit(10), rows(10));
    expect(receipt.verdict).toBe("FAIL");
    expect(receipt.breaches).toContain(
      "8 acknowledged wins and 1 unanswered attempts, but 10 order rows were added during the run",
    );
    expect(headlineOf(receipt)).toMatch(/^Not exact: /);
  });

  it("a cancel's abandoned purchases count as unknown outcomes, never as a breach by themselves", () => {
    const cancelled = runWith(7, {}, { abandoned: 3, cancelled: true });
    cancelled.attempts += 3;
    expect(buildReceipt(cancelled, audit(9), rows(9)).verdict).toBe("PASS");
    expect(buildReceipt(cancelled, audit(7), rows(7)).verdict).toBe("PASS");
  });
});
