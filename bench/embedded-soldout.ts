/**
 * The sold-out phase of a large run, apart (issue 20 §2: "why does the 1,000,000-attempt PGlite run take an
 * hour when PostgreSQL's takes a minute?"): the app in this process on PGlite (a fresh data folder) or on a
 * fresh PostgreSQL database, a drop sold out by a first stampede, then a second stampede of `--attempts`
 * that can only be turned away. Prints its attempts/s, the statements it cost (by text, with their time)
 * and the process's memory split (RSS, V8 heap, external, array buffers, PGlite's WebAssembly memory).
 *
 *   bun bench/embedded-soldout.ts [--backend pglite|postgres] [--units 1000] [--attempts 50000]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Database, Queryable } from "../src/db/database";
import { openDatabase } from "../src/db/open";
import { auditStampede, createLiveDrop, createSellerAccount, runStampede } from "../src/stampede";
import { startLocalServer } from "../src/stampede/local-server";
import { createFreshDatabase } from "./fresh-database";

const { values: args } = parseArgs({
  options: {
    backend: { type: "string", default: "pglite" },
    units: { type: "string", default: "1000" },
    attempts: { type: "string", default: "50000" },
    concurrency: { type: "string", default: "128" },
    "database-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/test" },
  },
});

const stats = new Map<string, { count: number; runMs: number }>();
function counted(target: Queryable): Queryable["query"] {
  return (async (text: string, params?: readonly unknown[], options?: { name?: string }) => {
    const startedAt = performance.now();
    try {
      return await target.query(text, params, options);
    } finally {
      const key = text.replace(/\s+/g, " ").trim().slice(0, 80);
      const stat = stats.get(key) ?? { count: 0, runMs: 0 };
      stat.count++;
      stat.runMs += performance.now() - startedAt;
      stats.set(key, stat);
    }
  }) as Queryable["query"];
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
function memoryLine(db: Database): string {
  const m = process.memoryUsage();
  const engine = db.stats?.().engineMemoryBytes;
  return `rss ${mib(m.rss)}, heap ${mib(m.heapUsed)}/${mib(m.heapTotal)}, external ${mib(m.external)}, arrayBuffers ${mib(m.arrayBuffers)}${engine ? `, engine (WASM) ${mib(engine)}` : ""}`;
}

const postgres = args.backend === "postgres" ? await createFreshDatabase(args["database-url"]) : undefined;
const folder = postgres ? undefined : await mkdtemp(path.join(tmpdir(), "dropfront-soldout-"));
const inner = await openDatabase(
  postgres
    ? {
        kind: "postgres",
        url: postgres.url,
        poolSize: 10,
        acquireTimeoutMs: 10_000,
        isolation: "read committed",
      }
    : { kind: "pglite", dataDir: folder!, acquireTimeoutMs: 10_000 },
);
const db: Database = {
  ...inner,
  query: counted(inner),
  transaction: (work) => inner.transaction((tx) => work({ query: counted(tx) })),
  close: () => inner.close(),
  ...(inner.stats ? { stats: () => inner.stats!() } : {}),
};
const server = await startLocalServer({ db });
try {
  const apiKey = await createSellerAccount(server.url);
  const units = Number(args.units);
  const drop = await createLiveDrop(server.url, apiKey, units, `Sold-out phase on ${args.backend}`);
  const concurrency = Number(args.concurrency);
  await runStampede({ baseUrl: server.url, dropRef: drop.id, attempts: units * 2, concurrency });
  console.log(`sold out: ${memoryLine(db)}`);
  stats.clear();
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const run = await runStampede({
    baseUrl: server.url,
    dropRef: drop.id,
    attempts: Number(args.attempts),
    concurrency,
  });
  const wallMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  const receipt = await auditStampede(run, apiKey, { backend: args.backend! });
  console.log(
    `${args.backend}: ${run.attempts} sold-out attempts in ${wallMs.toFixed(0)} ms = ${(Number(args.attempts) / (wallMs / 1000)).toFixed(0)}/s, CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, receipt ${receipt.verdict}, outcomes ${JSON.stringify(run.counts)}`,
  );
  console.log(`after: ${memoryLine(db)}`);
  for (const [text, s] of [...stats].sort((a, b) => b[1].runMs - a[1].runMs).slice(0, 10))
    console.log(`${String(s.count).padStart(7)} ${s.runMs.toFixed(0).padStart(7)} ms  ${text}`);
} finally {
  await server.close();
  await db.close();
  if (folder) await rm(folder, { recursive: true, force: true });
  await postgres?.drop();
}
