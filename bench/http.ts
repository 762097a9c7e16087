import {
  auditStampede,
  createLiveDrop,
  createSellerAccount,
  LatencyHistogram,
  type Receipt,
  runStampede,
  runWorkers,
} from "../src/stampede";
import { startServerProcess } from "./server-process";

/**
 * Sections 2–4: the real server as a child process on the bench's PostgreSQL database, driven over HTTP by
 * the stampede runner, which also checks every run's outcome against the database's audit.
 */
export interface Rate {
  requests: number;
  perSecond: number;
  p50: number | null;
  p99: number | null;
}

export interface HotDropFigures {
  /** Section 2: the stampede on a fresh hot drop. */
  hot: Receipt;
  /** Section 3: the same drop after it sold out: a second stampede, all rejections. */
  soldOut: Receipt;
  healthz: Rate;
  serverPeakMiB: number;
}

export interface LargeRunFigures {
  receipt: Receipt;
  serverPeakMiB: number;
}

const log = (line: string) => console.error(`bench: ${line}`);

/** GET /healthz at the same concurrency: the trivial route a rejection is compared with. */
async function hammerHealthz(url: string, requests: number, concurrency: number): Promise<Rate> {
  const latency = new LatencyHistogram();
  const startedAt = performance.now();
  await runWorkers(requests, concurrency, async () => {
    const sentAt = performance.now();
    const res = await fetch(`${url}/healthz`);
    await res.text();
    if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
    latency.record(performance.now() - sentAt);
  });
  const seconds = (performance.now() - startedAt) / 1000;
  return {
    requests,
    perSecond: requests / seconds,
    p50: latency.percentile(0.5),
    p99: latency.percentile(0.99),
  };
}

export async function benchHotDrop(
  databaseUrl: string,
  sizes: { quantity: number; attempts: number; soldOutAttempts: number; concurrency: number },
): Promise<HotDropFigures> {
  const server = await startServerProcess({ DATABASE_URL: databaseUrl });
  try {
    const apiKey = await createSellerAccount(server.url);
    const drop = await createLiveDrop(server.url, apiKey, sizes.quantity, "Bench hot drop");
    // Open the keep-alive connections and let the server's JIT warm up on a route that touches nothing.
    await hammerHealthz(server.url, 2000, sizes.concurrency);

    log(`hot drop: ${sizes.attempts} attempts by ${sizes.concurrency} workers on ${sizes.quantity} units`);
    const hotRun = await runStampede({
      baseUrl: server.url,
      dropRef: drop.id,
      attempts: sizes.attempts,
      concurrency: sizes.concurrency,
    });
    const hot = await auditStampede(hotRun, apiKey, { backend: "postgres" });

    log(`sold out: ${sizes.soldOutAttempts} more attempts, then as many GET /healthz`);
    const soldOutRun = await runStampede({
      baseUrl: server.url,
      dropRef: drop.id,
      attempts: sizes.soldOutAttempts,
      concurrency: sizes.concurrency,
    });
    const healthz = await hammerHealthz(server.url, sizes.soldOutAttempts, sizes.concurrency);
    const soldOut = await auditStampede(soldOutRun, apiKey, { backend: "postgres" });
    const { peakMiB } = await server.memory();
    return { hot, soldOut, healthz, serverPeakMiB: peakMiB };
  } finally {
    await server.stop();
  }
}

export async function benchLargeRun(
  databaseUrl: string,
  sizes: { quantity: number; attempts: number; concurrency: number; timeLimitMs: number },
): Promise<LargeRunFigures> {
  // Its own server process, so the peak memory read at the end belongs to this run alone.
  const server = await startServerProcess({ DATABASE_URL: databaseUrl });
  try {
    const apiKey = await createSellerAccount(server.url);
    const drop = await createLiveDrop(server.url, apiKey, sizes.quantity, "Bench large run");
    log(`large run: ${sizes.attempts} attempts by ${sizes.concurrency} workers on ${sizes.quantity} units`);
    let lastReport = performance.now();
    const run = await runStampede({
      baseUrl: server.url,
      dropRef: drop.id,
      attempts: sizes.attempts,
      concurrency: sizes.concurrency,
      signal: AbortSignal.timeout(sizes.timeLimitMs),
      onProgress: ({ answered, counts }) => {
        if (performance.now() - lastReport < 15_000) return;
        lastReport = performance.now();
        log(`large run: ${answered}/${sizes.attempts} answered, won ${counts.won}, busy ${counts.busy}`);
      },
    });
    const receipt = await auditStampede(run, apiKey, { backend: "postgres" });
    const { peakMiB } = await server.memory();
    return { receipt, serverPeakMiB: peakMiB };
  } finally {
    await server.stop();
  }
}
