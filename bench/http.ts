import { randomBytes } from "node:crypto";
import pg from "pg";
import { FAN_TOKEN_SECRET, signFanToken } from "../src/domain/fairness";
import {
  auditStampede,
  createLiveDrop,
  keepAliveClient,
  LatencyHistogram,
  type Receipt,
  runStampede,
  runWorkers,
  type StampedeProgress,
} from "../src/stampede";
import { benchHotWins, type HotWinsFigures } from "./hot-wins";
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
  /** Section 2, verified variant: the same stampede on a verified-fans drop, each fan with its token. */
  verified?: Receipt | undefined;
  /** The open hot drop once more, after the verified run: the ratio compares with both open runs' mean. */
  openAgain?: Receipt | undefined;
  /** Section 3: the same drop after it sold out: a second stampede, all rejections. */
  soldOut: Receipt;
  healthz: Rate;
  /** The same comparison at light load, where latency is service time rather than queueing. */
  light: { soldOut: Receipt; healthz: Rate };
  /** Every attempt a win, on a drop of its own after the others (issue 20 §1's figure). */
  wins: HotWinsFigures;
  server: ServerMemory;
  /**
   * Issue 20 §3: the same stampede on a hot drop of 5 variants (sizes; fans spread round them), bracketed
   * by two more one-variant runs on fresh drops of the same server, so warm-up and drift fall on both sides.
   */
  variants: { count: number; fiveVariants: Receipt; oneVariantAgain: Receipt };
}

/** The server's resident memory just after it started listening, and its peak (VmHWM) at the end. */
export interface ServerMemory {
  startMiB: number;
  peakMiB: number;
  nodeOptions: string;
}

export interface LargeRunFigures {
  receipt: Receipt;
  server: ServerMemory;
}

export interface ServerSetup {
  databaseUrl: string;
  /** The owner's key of the seller made by `createBenchSeller`. */
  apiKey: string;
  /** NODE_OPTIONS for the server process, e.g. "--max-old-space-size=128"; empty for Node's defaults. */
  nodeOptions: string;
}

async function startServer(setup: ServerSetup) {
  const server = await startServerProcess({
    DATABASE_URL: setup.databaseUrl,
    ...(setup.nodeOptions ? { NODE_OPTIONS: setup.nodeOptions } : {}),
  });
  const startMiB = (await server.memory()).currentMiB;
  const memory = async (): Promise<ServerMemory> => ({
    startMiB,
    peakMiB: (await server.memory()).peakMiB,
    nodeOptions: setup.nodeOptions,
  });
  return { server, memory };
}

/** Few enough workers that a request rarely waits behind another: latency is then the server's own. */
const LIGHT_CONCURRENCY = 4;

const log = (line: string) => console.error(`bench: ${line}`);

/** GET /healthz at the same concurrency: the trivial route a rejection is compared with. */
export async function hammerHealthz(url: string, requests: number, concurrency: number): Promise<Rate> {
  const latency = new LatencyHistogram();
  // The same client the stampede runner uses, so the two rates differ only by what the server does.
  const client = keepAliveClient(url, concurrency, 30_000);
  const startedAt = performance.now();
  try {
    await runWorkers(requests, concurrency, async () => {
      const sentAt = performance.now();
      const res = await client.get("/healthz");
      if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
      latency.record(performance.now() - sentAt);
    });
  } finally {
    client.close();
  }
  const seconds = (performance.now() - startedAt) / 1000;
  return {
    requests,
    perSecond: requests / seconds,
    p50: latency.percentile(0.5),
    p99: latency.percentile(0.99),
  };
}

/** Issue 20 §3: the hot drop with this many variants is compared with the one-variant hot drop. */
const VARIANT_COUNT = 5;

export async function benchHotDrop(
  setup: ServerSetup,
  sizes: { quantity: number; attempts: number; soldOutAttempts: number; concurrency: number },
): Promise<HotDropFigures> {
  const { server, memory } = await startServer(setup);
  const { apiKey } = setup;
  try {
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

    // The verified variant (issue 17 §1, issue 20 §3: within 10 % of an open drop): the same stampede on a
    // verified-fans drop, every attempt a fan with a token of its own (minted with the site's secret, as
    // the code step would give it; the token is checked in memory, so the purchase path adds no statement).
    log(`verified hot drop: ${sizes.attempts} attempts, each a verified fan with a token`);
    const tokens = await fanTokens(setup.databaseUrl, sizes.attempts);
    const verifiedDrop = await createLiveDrop(server.url, apiKey, sizes.quantity, "Bench verified hot drop", {
      verifiedFans: true,
    });
    const verifiedRun = await runStampede({
      baseUrl: server.url,
      dropRef: verifiedDrop.id,
      attempts: sizes.attempts,
      concurrency: sizes.concurrency,
      fanTokens: tokens,
    });
    const verified = await auditStampede(verifiedRun, apiKey, { backend: "postgres" });
    // An open drop again, so that warm-up and the machine's drift weigh on both sides of the ratio.
    const againDrop = await createLiveDrop(server.url, apiKey, sizes.quantity, "Bench hot drop again");
    const againRun = await runStampede({
      baseUrl: server.url,
      dropRef: againDrop.id,
      attempts: sizes.attempts,
      concurrency: sizes.concurrency,
    });
    const openAgain = await auditStampede(againRun, apiKey, { backend: "postgres" });

    log(`sold out: ${sizes.soldOutAttempts} more attempts, then as many GET /healthz`);
    const soldOutRun = await runStampede({
      baseUrl: server.url,
      dropRef: drop.id,
      attempts: sizes.soldOutAttempts,
      concurrency: sizes.concurrency,
    });
    const healthz = await hammerHealthz(server.url, sizes.soldOutAttempts, sizes.concurrency);
    const soldOut = await auditStampede(soldOutRun, apiKey, { backend: "postgres" });

    const light = { attempts: Math.ceil(sizes.soldOutAttempts / 4), concurrency: LIGHT_CONCURRENCY };
    log(
      `sold out, light load: ${light.attempts} attempts and as many GET /healthz by ${light.concurrency} workers`,
    );
    const lightRun = await runStampede({ baseUrl: server.url, dropRef: drop.id, ...light });
    const lightHealthz = await hammerHealthz(server.url, light.attempts, light.concurrency);
    const lightSoldOut = await auditStampede(lightRun, apiKey, { backend: "postgres" });

    log(
      `every attempt a win: ${sizes.attempts} GET /healthz, then ${sizes.attempts} attempts on as many units`,
    );
    const wins = await benchHotWins(server, setup, sizes);
    const hotRunOn = async (title: string, variants: number) => {
      const fresh = await createLiveDrop(server.url, apiKey, sizes.quantity, title, {}, variants);
      log(`${title}: ${sizes.attempts} attempts by ${sizes.concurrency} workers on ${sizes.quantity} units`);
      const run = await runStampede({
        baseUrl: server.url,
        dropRef: fresh.id,
        attempts: sizes.attempts,
        concurrency: sizes.concurrency,
      });
      return auditStampede(run, apiKey, { backend: "postgres" });
    };
    const fiveVariants = await hotRunOn(`Bench hot drop, ${VARIANT_COUNT} variants`, VARIANT_COUNT);
    const oneVariantAgain = await hotRunOn("Bench hot drop, one variant again", 1);
    return {
      variants: { count: VARIANT_COUNT, fiveVariants, oneVariantAgain },
      hot,
      verified,
      openAgain,
      soldOut,
      healthz,
      light: { soldOut: lightSoldOut, healthz: lightHealthz },
      wins,
      server: await memory(),
    };
  } finally {
    await server.stop();
  }
}

/** A stampede's running totals in the log every 15 s, so a long run shows it is alive. */
export function progressLog(label: string, attempts: number): (progress: StampedeProgress) => void {
  let lastReport = performance.now();
  return ({ answered, counts }) => {
    if (performance.now() - lastReport < 15_000) return;
    lastReport = performance.now();
    log(`${label}: ${answered}/${attempts} answered, won ${counts.won}, busy ${counts.busy}`);
  };
}

export async function benchLargeRun(
  setup: ServerSetup,
  sizes: { quantity: number; attempts: number; concurrency: number; timeLimitMs: number },
): Promise<LargeRunFigures> {
  // Its own server process, so the peak memory read at the end belongs to this run alone.
  const { server, memory } = await startServer(setup);
  const { apiKey } = setup;
  try {
    const drop = await createLiveDrop(server.url, apiKey, sizes.quantity, "Bench large run");
    log(`large run: ${sizes.attempts} attempts by ${sizes.concurrency} workers on ${sizes.quantity} units`);
    const run = await runStampede({
      baseUrl: server.url,
      dropRef: drop.id,
      attempts: sizes.attempts,
      concurrency: sizes.concurrency,
      signal: AbortSignal.timeout(sizes.timeLimitMs),
      onProgress: progressLog("large run", sizes.attempts),
    });
    const receipt = await auditStampede(run, apiKey, { backend: "postgres" });
    return { receipt, server: await memory() };
  } finally {
    await server.stop();
  }
}

/** `count` fan tokens of distinct addresses, signed with the database's fan-token secret (made if new). */
async function fanTokens(databaseUrl: string, count: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      "INSERT INTO site_secrets (name, secret) VALUES ($1::text, $2::text) ON CONFLICT (name) DO NOTHING",
      [FAN_TOKEN_SECRET, randomBytes(32).toString("base64url")],
    );
    const { rows } = await client.query<{ secret: string }>(
      "SELECT secret FROM site_secrets WHERE name = $1::text",
      [FAN_TOKEN_SECRET],
    );
    const expiresAt = new Date(Date.now() + 3600_000);
    const tag = randomBytes(4).toString("hex");
    return Array.from({ length: count }, (_, n) =>
      signFanToken(rows[0]!.secret, `fan${n}-${tag}@bench.test`, expiresAt),
    );
  } finally {
    await client.end();
  }
}
