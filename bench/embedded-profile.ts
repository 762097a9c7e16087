/**
 * Where a PGlite purchase goes: the 20,000/1,000/200 race in one process (the app on a fresh PGlite data
 * folder, served on 127.0.0.1, the stampede runner in this process too), every statement timed — the wait
 * in the serial queue apart from the statement's own run. Prints statements by total time.
 *
 *   bun bench/embedded-profile.ts [--attempts 20000] [--units 1000] [--concurrency 200] [--memory]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Database, Queryable } from "../src/db/database";
import { openDatabase } from "../src/db/open";
import {
  auditStampede,
  createLiveDrop,
  createSellerAccount,
  formatReceipt,
  runStampede,
} from "../src/stampede";
import { startLocalServer } from "../src/stampede/local-server";

const { values: args } = parseArgs({
  options: {
    attempts: { type: "string", default: "20000" },
    units: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "200" },
    memory: { type: "boolean", default: false },
  },
});

interface Stat {
  count: number;
  runMs: number;
  /** For the purchase statement: buyers carried (its third parameter is the batch's keys). */
  members?: number;
}
const stats = new Map<string, Stat>();
const shape = (text: string) => text.replace(/\s+/g, " ").trim().slice(0, 90);
function timed(target: Queryable): Queryable["query"] {
  return (async (text: string, params?: readonly unknown[], options?: { name?: string }) => {
    const startedAt = performance.now();
    try {
      return await target.query(text, params, options);
    } finally {
      const key = shape(text);
      const stat = stats.get(key) ?? { count: 0, runMs: 0 };
      stat.count++;
      if (Array.isArray(params?.[2])) stat.members = (stat.members ?? 0) + (params[2] as unknown[]).length;
      stat.runMs += performance.now() - startedAt;
      stats.set(key, stat);
    }
  }) as Queryable["query"];
}

const folder = args.memory ? "memory" : await mkdtemp(path.join(tmpdir(), "dropfront-profile-"));
const inner = await openDatabase({ kind: "pglite", dataDir: folder, acquireTimeoutMs: 10_000 });
const db: Database = {
  ...inner,
  query: timed(inner),
  transaction: (work) => inner.transaction((tx) => work({ query: timed(tx) })),
  close: () => inner.close(),
  ...(inner.stats ? { stats: () => inner.stats!() } : {}),
};
const server = await startLocalServer({ db });
try {
  const apiKey = await createSellerAccount(server.url);
  const drop = await createLiveDrop(server.url, apiKey, Number(args.units), "Profile");
  stats.clear();
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const run = await runStampede({
    baseUrl: server.url,
    dropRef: drop.id,
    attempts: Number(args.attempts),
    concurrency: Number(args.concurrency),
  });
  const wallMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  const receipt = await auditStampede(run, apiKey, { backend: "pglite" });
  console.log(formatReceipt(receipt));
  console.log(
    `wall ${wallMs.toFixed(0)} ms, process CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  );
  const rows = [...stats].sort((a, b) => b[1].runMs - a[1].runMs);
  for (const [text, s] of rows.slice(0, 15))
    console.log(
      `${s.count.toString().padStart(7)} ${s.runMs.toFixed(0).padStart(7)} ms ${(s.runMs / s.count).toFixed(2).padStart(7)} ms/each ${s.members ? `${(s.members / s.count).toFixed(1)} a batch ` : ""} ${text}`,
    );
} finally {
  await server.close();
  await db.close();
  if (folder !== "memory") await rm(folder, { recursive: true, force: true });
}
