import { auditStampede, createLiveDrop, type Receipt, runStampede } from "../src/stampede";
import { startCluster } from "./cluster";
import { hammerHealthz, progressLog, type Rate } from "./http";
import { type ServerRuntime, startServerProcess } from "./server-process";

/**
 * The scale-out sections of `npm run bench`: the large run through HAProxy in front of N server processes
 * (`--processes N`), and Node against Bun serving the same app to the same client (`--runtimes`).
 */
export interface ProcessesFigures {
  processes: number;
  receipt: Receipt;
  /** Requests HAProxy sent to each process during the run. */
  requestsPerProcess: number[];
  /** Each process's peak resident memory (VmHWM), MiB. */
  peakMiB: number[];
}

export interface RuntimeFigures {
  runtime: ServerRuntime;
  healthz: Rate;
  /** The whole stampede from a cold server: attempts/s over every answer, sold-out rejections included. */
  stampede: Receipt;
  peakMiB: number;
}

const log = (line: string) => console.error(`bench: ${line}`);

export async function benchProcesses(
  setup: { databaseUrl: string; apiKey: string },
  sizes: { processes: number; quantity: number; attempts: number; concurrency: number; timeLimitMs: number },
): Promise<ProcessesFigures> {
  const cluster = await startCluster({
    processes: sizes.processes,
    env: { DATABASE_URL: setup.databaseUrl },
  });
  try {
    const drop = await createLiveDrop(cluster.url, setup.apiKey, sizes.quantity, "Bench several processes");
    log(`${sizes.processes} processes behind HAProxy: ${sizes.attempts} attempts on ${sizes.quantity} units`);
    const before = await cluster.requestsPerProcess();
    const run = await runStampede({
      baseUrl: cluster.url,
      dropRef: drop.id,
      attempts: sizes.attempts,
      concurrency: sizes.concurrency,
      signal: AbortSignal.timeout(sizes.timeLimitMs),
      onProgress: progressLog("processes", sizes.attempts),
    });
    const after = await cluster.requestsPerProcess();
    const receipt = await auditStampede(run, setup.apiKey, {
      backend: `postgres, ${sizes.processes} processes behind HAProxy`,
    });
    return {
      processes: sizes.processes,
      receipt,
      requestsPerProcess: after.map((n, i) => n - (before[i] ?? 0)),
      peakMiB: await Promise.all(cluster.processes.map(async (p) => (await p.memory()).peakMiB)),
    };
  } finally {
    await cluster.stop();
  }
}

/** Each runtime gets its own cold server on the same database, then the same client and the same sizes. */
export async function benchRuntimes(
  setup: { databaseUrl: string; apiKey: string },
  sizes: { healthz: number; quantity: number; attempts: number; concurrency: number },
): Promise<RuntimeFigures[]> {
  const figures: RuntimeFigures[] = [];
  for (const runtime of ["node", "bun"] as const) {
    const server = await startServerProcess({ DATABASE_URL: setup.databaseUrl }, runtime);
    try {
      log(`${runtime}: stampede of ${sizes.attempts} on ${sizes.quantity} units from cold, then /healthz`);
      const drop = await createLiveDrop(server.url, setup.apiKey, sizes.quantity, `Bench on ${runtime}`);
      const run = await runStampede({
        baseUrl: server.url,
        dropRef: drop.id,
        attempts: sizes.attempts,
        concurrency: sizes.concurrency,
      });
      const stampede = await auditStampede(run, setup.apiKey, { backend: `postgres, server on ${runtime}` });
      const healthz = await hammerHealthz(server.url, sizes.healthz, sizes.concurrency);
      figures.push({ runtime, healthz, stampede, peakMiB: (await server.memory()).peakMiB });
    } finally {
      await server.stop();
    }
  }
  return figures;
}
