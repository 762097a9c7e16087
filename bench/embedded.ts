import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  auditStampede,
  createLiveDrop,
  createSellerAccount,
  type Receipt,
  runStampede,
} from "../src/stampede";
import { progressLog } from "./http";
import { type ServerProcess, startServerProcess } from "./server-process";

/**
 * The embedded default against PostgreSQL (issue 20 §2): the same race — `attempts` on `quantity` units,
 * `concurrency` at once, from a cold server — run on PGlite (a fresh data folder, as `npm start` keeps
 * one) and on PostgreSQL, alternating, `trials` times each; the ratio is of the medians. And the large run
 * on PGlite alone, for its peak resident memory.
 */
export interface EmbeddedRaceFigures {
  sizes: { attempts: number; quantity: number; concurrency: number; trials: number };
  pglite: RaceTrial[];
  postgres: RaceTrial[];
  /** Median attempts/s on PGlite ÷ median on PostgreSQL. */
  ratio: number;
  /** Median over PGlite's trials of the winners' p99 (ms). */
  pgliteWinP99: number | null;
}

export interface RaceTrial {
  attemptsPerSecond: number;
  winP50: number | null;
  winP99: number | null;
  peakMiB: number;
  receipt: Receipt;
}

export interface EmbeddedLargeFigures {
  receipt: Receipt;
  startMiB: number;
  peakMiB: number;
  /** The server's garbage budget (GC_BUDGET_MIB) at the end: collections and their time; absent when off. */
  garbageBudget?: { collections: number; collectingMs: number } | undefined;
}

const log = (line: string) => console.error(`bench: ${line}`);

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A server on a fresh PGlite data folder (the default backend, durable as `npm start` runs it). */
async function withPgliteServer<T>(
  extraEnv: Record<string, string>,
  work: (server: ServerProcess) => Promise<T>,
): Promise<T> {
  const folder = await mkdtemp(path.join(tmpdir(), "dropfront-bench-pglite-"));
  try {
    // initdb (a minute at load 40 on 2 cores) is done before the server starts, as the server's own
    // start-up would do it (src/db/pglite-initdb.ts), so the start-up wait measures the server alone.
    await initdb(folder);
    const server = await startServerProcess({ DATA_DIR: folder, DATABASE_URL: undefined, ...extraEnv });
    try {
      return await work(server);
    } finally {
      await server.stop();
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

const BUN = fileURLToPath(new URL("../node_modules/.bin/bun", import.meta.url));

function initdb(folder: string): Promise<void> {
  const script = fileURLToPath(new URL("../src/db/pglite-initdb.ts", import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(BUN, [script, folder], { stdio: ["ignore", "ignore", "inherit"] });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`initdb of ${folder} exited ${code}`)),
    );
  });
}

async function race(
  server: ServerProcess,
  apiKey: string,
  backend: string,
  sizes: { attempts: number; quantity: number; concurrency: number },
): Promise<RaceTrial> {
  const drop = await createLiveDrop(server.url, apiKey, sizes.quantity, `Bench race on ${backend}`);
  const run = await runStampede({
    baseUrl: server.url,
    dropRef: drop.id,
    attempts: sizes.attempts,
    concurrency: sizes.concurrency,
  });
  const receipt = await auditStampede(run, apiKey, { backend });
  return {
    attemptsPerSecond: receipt.attemptsPerSecond,
    winP50: receipt.latencyMs.win.p50,
    winP99: receipt.latencyMs.win.p99,
    peakMiB: (await server.memory()).peakMiB,
    receipt,
  };
}

export async function benchEmbeddedRace(
  setup: { databaseUrl: string; apiKey: string },
  sizes: { attempts: number; quantity: number; concurrency: number; trials: number },
  extraEnv: Record<string, string> = {},
): Promise<EmbeddedRaceFigures> {
  const pglite: RaceTrial[] = [];
  const postgres: RaceTrial[] = [];
  for (let trial = 1; trial <= sizes.trials; trial++) {
    // Alternate which goes first, so a load swing on the shared machine falls on both alike.
    const order = trial % 2 ? (["pglite", "postgres"] as const) : (["postgres", "pglite"] as const);
    for (const backend of order) {
      log(`race ${trial}/${sizes.trials} on ${backend}: ${sizes.attempts} attempts, ${sizes.quantity} units`);
      if (backend === "pglite") {
        pglite.push(
          await withPgliteServer(extraEnv, async (server) =>
            race(server, await createSellerAccount(server.url), "pglite (data folder)", sizes),
          ),
        );
      } else {
        const server = await startServerProcess({ DATABASE_URL: setup.databaseUrl, ...extraEnv });
        try {
          postgres.push(await race(server, setup.apiKey, "postgres", sizes));
        } finally {
          await server.stop();
        }
      }
    }
  }
  const p99s = pglite.map((t) => t.winP99).filter((v): v is number => v !== null);
  return {
    sizes,
    pglite,
    postgres,
    ratio: median(pglite.map((t) => t.attemptsPerSecond)) / median(postgres.map((t) => t.attemptsPerSecond)),
    pgliteWinP99: p99s.length ? median(p99s) : null,
  };
}

/** The large run on the embedded default, its own server process, for the peak resident memory. */
export async function benchEmbeddedLarge(
  sizes: { quantity: number; attempts: number; concurrency: number; timeLimitMs: number },
  extraEnv: Record<string, string> = {},
): Promise<EmbeddedLargeFigures> {
  return withPgliteServer(extraEnv, async (server) => {
    const startMiB = (await server.memory()).currentMiB;
    const apiKey = await createSellerAccount(server.url);
    const drop = await createLiveDrop(server.url, apiKey, sizes.quantity, "Bench large run on PGlite");
    log(
      `PGlite large run: ${sizes.attempts} attempts by ${sizes.concurrency} workers on ${sizes.quantity} units`,
    );
    const run = await runStampede({
      baseUrl: server.url,
      dropRef: drop.id,
      attempts: sizes.attempts,
      concurrency: sizes.concurrency,
      signal: AbortSignal.timeout(sizes.timeLimitMs),
      onProgress: progressLog("PGlite large run", sizes.attempts),
    });
    const receipt = await auditStampede(run, apiKey, { backend: "pglite (data folder)" });
    const peakMiB = (await server.memory()).peakMiB;
    // The server prints its garbage budget's collections when it stops (src/server.ts).
    await server.stop();
    const budget = /"garbageBudget":(\{[^}]*\})/.exec(server.output())?.[1];
    return { receipt, startMiB, peakMiB, garbageBudget: budget ? JSON.parse(budget) : undefined };
  });
}
