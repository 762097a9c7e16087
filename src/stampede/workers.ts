/**
 * Runs `task(0) … task(total - 1)` with `concurrency` workers pulling the next index from one shared
 * counter, so a slow answer holds up one worker and never a whole batch. An aborted `signal` stops workers
 * from taking new indexes; tasks already started finish, so every started task is accounted for.
 * Resolves with how many tasks were started.
 *
 * @example await runWorkers(1000, 50, (i) => buy(i))
 */
export async function runWorkers(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (!signal?.aborted && next < total) {
      await task(next++);
    }
  };
  const workers = Math.max(1, Math.min(concurrency, total));
  await Promise.all(Array.from({ length: workers }, worker));
  return next;
}
