import { parentPort, workerData } from "node:worker_threads";
import { emptyActivity } from "./checkout-buyers";
import type { ProgressBatch, WorkerMessage } from "./run-in-worker";
import { emptyCounts, runStampede, type StampedeOptions } from "./run-stampede";

/**
 * The worker thread's side of runStampedeInWorker: runs the stampede here, off the server's event loop,
 * and reports progress in batches (one message per interval, not one per answer) and the run at the end.
 */
const { options, progressIntervalMs } = workerData as {
  options: Omit<StampedeOptions, "signal" | "onProgress">;
  progressIntervalMs: number;
};
const port = parentPort!;
const controller = new AbortController();
port.on("message", (message: { type: string }) => {
  if (message.type === "cancel") controller.abort();
});

const startedAt = performance.now();
let batch: ProgressBatch | undefined;
let latest: Pick<ProgressBatch, "answered" | "counts"> = { answered: 0, counts: emptyCounts() };
// Checkout mode: fates are paid, released and refunded between purchase answers, so a batch also goes
// out when only those moved.
const activity = options.checkout ? emptyActivity() : undefined;
let checkoutSent = "null";
const flush = () => {
  const checkout = activity && {
    paid: activity.paidOrderIds.length,
    released: activity.releasedOrderIds.length,
    refunded: activity.refundedOrderIds.length,
  };
  const checkoutNow = JSON.stringify(checkout ?? null);
  if (!batch && checkoutNow === checkoutSent) return;
  batch ??= { answered: latest.answered, counts: { ...latest.counts }, claims: [] };
  if (checkout) batch.checkout = checkout;
  checkoutSent = checkoutNow;
  port.postMessage({ type: "progress", batch } satisfies WorkerMessage);
  batch = undefined;
};
const timer = setInterval(flush, progressIntervalMs);

try {
  const run = await runStampede({
    ...options,
    signal: controller.signal,
    abandonOnAbort: true,
    ...(activity ? { checkoutActivity: activity } : {}),
    onProgress: (progress) => {
      batch ??= { answered: 0, counts: { ...progress.counts }, claims: [] };
      batch.answered = progress.answered;
      batch.counts = { ...progress.counts };
      latest = { answered: batch.answered, counts: batch.counts };
      if (progress.unitNo !== undefined) batch.claims.push(progress.unitNo, performance.now() - startedAt);
    },
  });
  clearInterval(timer);
  flush();
  const { latency, ...rest } = run;
  port.postMessage({
    type: "done",
    run: {
      ...rest,
      latency: {
        win: latency.win.toData(),
        rejection: latency.rejection.toData(),
        busy: latency.busy.toData(),
      },
    },
  } satisfies WorkerMessage);
} catch (error) {
  clearInterval(timer);
  port.postMessage({
    type: "failed",
    message: error instanceof Error ? error.message : String(error),
  } satisfies WorkerMessage);
}
