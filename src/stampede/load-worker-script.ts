/**
 * The file a Stress Test worker thread starts from, and the module it then loads:
 * - the sources under Bun: load-worker.ts itself, since Bun runs TypeScript natively in worker threads as
 *   in the main thread (https://bun.sh/docs/api/workers);
 * - the sources under Node: load-worker-boot.mjs, which installs tsx's loader before loading load-worker.ts;
 * - the production bundle, on either runtime: load-worker.js, which scripts/build.mjs emits as an entry of
 *   its own beside the bundle's chunks (esbuild leaves `new URL(…, import.meta.url)` as written, so the
 *   worker is not found unless it is built as an entry).
 * @example const { script, entry } = loadWorkerScript(); new Worker(script, { workerData: { entry } })
 */
export function loadWorkerScript(): { script: URL; entry: string } {
  const fromSources = import.meta.url.endsWith(".ts");
  const entry = new URL(fromSources ? "./load-worker.ts" : "./load-worker.js", import.meta.url);
  const onBun = process.versions.bun !== undefined;
  const script = fromSources && !onBun ? new URL("./load-worker-boot.mjs", import.meta.url) : entry;
  return { script, entry: entry.href };
}
