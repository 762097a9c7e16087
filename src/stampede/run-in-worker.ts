import { Worker } from "node:worker_threads";
import { type HistogramData, LatencyHistogram } from "./latency-histogram";
import { loadWorkerScript } from "./load-worker-script";
import type { OutcomeCounts, StampedeOptions, StampedeRun } from "./run-stampede";

/** What happened since the last batch: running totals, and each claimed unit with its time (ms from start). */
export interface ProgressBatch {
  answered: number;
  counts: OutcomeCounts;
  /** Pairs: unit number, milliseconds since the run started when its win was answered. */
  claims: number[];
  /** Checkout mode: holds paid, released and refunded so far, as the checkout API answered. */
  checkout?: CheckoutCounts;
}

export interface CheckoutCounts {
  paid: number;
  released: number;
  refunded: number;
}

type PlainRun = Omit<StampedeRun, "latency"> & {
  latency: { win: HistogramData; rejection: HistogramData; busy: HistogramData };
};

export type WorkerMessage =
  | { type: "progress"; batch: ProgressBatch }
  | { type: "done"; run: PlainRun }
  | { type: "failed"; message: string };

export interface WorkerStampedeOptions
  extends Omit<StampedeOptions, "onProgress" | "abandonOnAbort" | "checkoutActivity"> {
  /** Called about every `progressIntervalMs` while answers arrive. */
  onBatch?: (batch: ProgressBatch) => void;
  progressIntervalMs?: number;
}

/**
 * runStampede in a worker thread, so the load generator's own work (thousands of requests and answers
 * per second) never runs on the event loop of the server it is testing. An abort cuts the purchases in
 * flight (they count as `abandoned`), so a cancel takes effect at once. Resolves with the same run
 * runStampede gives; rejects when the runner failed.
 * @example const run = await runStampedeInWorker({ baseUrl, dropRef, attempts: 2000, concurrency: 50 });
 */
export function runStampedeInWorker(options: WorkerStampedeOptions): Promise<StampedeRun> {
  const { signal, onBatch, progressIntervalMs = 100, ...plain } = options;
  const { script, entry } = loadWorkerScript();
  const worker = new Worker(script, {
    workerData: {
      entry,
      options: plain,
      progressIntervalMs,
    },
  });
  const cancel = () => worker.postMessage({ type: "cancel" });
  if (signal?.aborted) cancel();
  signal?.addEventListener("abort", cancel, { once: true });
  return new Promise<StampedeRun>((resolve, reject) => {
    worker.on("message", (message: WorkerMessage) => {
      if (message.type === "progress") onBatch?.(message.batch);
      else if (message.type === "done") {
        const { latency, ...rest } = message.run;
        resolve({
          ...rest,
          latency: {
            win: LatencyHistogram.from(latency.win),
            rejection: LatencyHistogram.from(latency.rejection),
            busy: LatencyHistogram.from(latency.busy),
          },
        });
      } else reject(new Error(message.message));
      if (message.type !== "progress") void worker.terminate();
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the load generator stopped (exit code ${code})`)));
  }).finally(() => signal?.removeEventListener("abort", cancel));
}
