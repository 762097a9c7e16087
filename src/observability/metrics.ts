import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { type Database, sqlState } from "../db/database";
import { TryAgain } from "../domain/purchase/retry";

/** What the gauges read when Prometheus scrapes; nothing here runs on the purchase path. */
export interface MetricsSources {
  db: Database;
  /** Live-counter (SSE) streams open in this process. */
  streamsOpen: () => number;
  /** Stress Tests running, as the database records them. */
  stressTestsRunning: () => Promise<number>;
}

/** Why a statement was tried again: the SQLSTATE, DSQL's own code inside a 40001, or a lost connection. */
export type RetryKind = "40001" | "OC000" | "OC001" | "40P01" | "connection_lost" | "stock_moved" | "other";

export function retryKind(error: unknown): RetryKind {
  if (error instanceof TryAgain) {
    return /connection lost/.test(error.message) ? "connection_lost" : "stock_moved";
  }
  const state = sqlState(error);
  if (state === "40001") {
    // DSQL reports optimistic-concurrency conflicts as 40001 with "(OC000)" / "(OC001)" in the message.
    const dsqlCode = /\b(OC00[01])\b/.exec(error instanceof Error ? error.message : "");
    return (dsqlCode?.[1] as "OC000" | "OC001" | undefined) ?? "40001";
  }
  return state === "40P01" ? "40P01" : "other";
}

const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The app's Prometheus metrics in a registry of its own (so several apps can live in one test process).
 * Counters are bumped on the hot path (a few nanoseconds each); gauges are read only when scraped.
 * With `processMetrics`, prom-client's default set is added: event-loop lag, heap and resident memory, GC.
 * @example const metrics = createMetrics(sources, { processMetrics: true }); await metrics.registry.metrics()
 */
export function createMetrics(sources: MetricsSources, options: { processMetrics: boolean }) {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const purchases = new Counter({
    name: "dropfront_purchases_total",
    help: "Purchase requests answered, by outcome (placed, replay, sold_out, busy, not_live, limit_reached, ...)",
    labelNames: ["outcome"] as const,
    registers,
  });
  for (const outcome of ["placed", "sold_out", "busy"]) purchases.labels(outcome).inc(0);
  const retries = new Counter({
    name: "dropfront_retries_total",
    help: "Statements tried again, by kind: 40001, DSQL OC000/OC001, deadlock 40P01, connection_lost, stock_moved",
    labelNames: ["kind"] as const,
    registers,
  });
  const latency = new Histogram({
    name: "dropfront_purchase_duration_seconds",
    help: "Time to answer a purchase, retries included",
    buckets: LATENCY_BUCKETS,
    registers,
  });

  const { db } = sources;
  const dbGauge = (
    name: string,
    help: string,
    read: (s: NonNullable<ReturnType<NonNullable<Database["stats"]>>>) => number | undefined,
  ) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const value = db.stats ? read(db.stats()) : undefined;
        if (value !== undefined) this.set(value);
      },
    });
  dbGauge("dropfront_db_pool_size", "Database connections open", (s) => s.connections);
  dbGauge(
    "dropfront_db_pool_in_use",
    "Database connections running a statement",
    (s) => s.connections - s.idle,
  );
  dbGauge("dropfront_db_pool_waiting", "Statements waiting for a database connection", (s) => s.waiting);
  dbGauge(
    "dropfront_db_acquire_timeouts",
    "Waits for a connection that ran past the acquire timeout (answered busy), since start",
    (s) => s.acquireTimeouts,
  );
  dbGauge(
    "dropfront_db_endpoint_switches",
    "Times statements moved between a multi-region cluster's endpoints (DSQL_ENDPOINTS), since start",
    (s) => s.endpointSwitches,
  );
  if (db.backend === "pglite") {
    dbGauge(
      "dropfront_pglite_memory_bytes",
      "The embedded database's WebAssembly memory",
      (s) => s.engineMemoryBytes,
    );
  }
  new Gauge({
    name: "dropfront_sse_streams_open",
    help: "Live-counter streams open in this process",
    registers,
    collect() {
      this.set(sources.streamsOpen());
    },
  });
  new Gauge({
    name: "dropfront_stress_tests_running",
    help: "Stress Tests running (all processes, as the database records them)",
    registers,
    async collect() {
      // A scrape must not fail because the database is away: the gauge says NaN (unknown) then.
      this.set(await sources.stressTestsRunning().catch(() => Number.NaN));
    },
  });

  return {
    registry,
    countPurchase(outcome: string, seconds: number): void {
      purchases.labels(outcome).inc();
      latency.observe(seconds);
    },
    countRetry(error: unknown): void {
      retries.labels(retryKind(error)).inc();
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
