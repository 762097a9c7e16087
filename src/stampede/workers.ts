/**
 * Runs `task(0) … task(total - 1)` with `concurrency` workers pulling the next index from one shared
 * counter, so a slow answer holds up one worker and never a whole batch. An aborted `signal` stops workers
 * from taking new indexes; tasks already started finish, so every started task is accounted for.
 * Resolves with how many tasks were started. `notBefore(index)`, when given, paces the run: task `index`
 * starts no earlier than that `performance.now()` time (a worker waiting for it wakes on an abort, and an
 * index not yet started when the abort comes is not counted).
 *
 * @example await runWorkers(1000, 50, (i) => buy(i))
 */
export async function runWorkers(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
  signal?: AbortSignal,
  notBefore?: (index: number) => number,
): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (!signal?.aborted && next < total) {
      const wait = notBefore ? notBefore(next) - performance.now() : 0;
      if (wait > 0) {
        await pause(wait, signal);
        continue;
      }
      await task(next++);
    }
  };
  const workers = Math.max(1, Math.min(concurrency, total));
  await Promise.all(Array.from({ length: workers }, worker));
  return next;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
