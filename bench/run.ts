/**
 * `npm run bench`: throughput and memory figures, every comparison measured in the same run on the same
 * machine, on a fresh PostgreSQL database that is dropped at the end. Figures, not timed tests: a goal
 * missed is printed as such, but the exit status is non-zero only when a run broke an invariant.
 *
 *   npm run bench -- --quick                 small smoke run, about a minute
 *   npm run bench                            the full run, several minutes (1,000,000-attempt section)
 *   npm run bench -- --skip-large --json bench-result.json
 *   npm run bench -- --rehearsal-isolation   only the rehearsal-isolation section (PGlite and PostgreSQL):
 *                                            live p99s during a Stress Test (--rehearsal-attempts, default
 *                                            20,000 at 200 at once; --quick: 2,000)
 *
 * --database-url: the admin database next to which the fresh one is made (default BENCH_DATABASE_URL,
 * then TEST_DATABASE_URL, then postgres://postgres@127.0.0.1:5432/test). --large-attempts, --large-units,
 * --time-limit-min size the large run. --server-node-options "--max-old-space-size=128" passes NODE_OPTIONS
 * to the server processes (default: none, Node's own heap sizing).
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { benchEngine } from "./engine";
import { createFreshDatabase } from "./fresh-database";
import { benchHotDrop, benchLargeRun } from "./http";
import { describeMachine } from "./machine";
import { benchRehearsalIsolation, formatIsolation } from "./rehearsal-isolation";
import { formatResults } from "./report";
import { createBenchSeller } from "./seller";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "skip-large": { type: "boolean", default: false },
    "large-attempts": { type: "string" },
    "large-units": { type: "string" },
    "time-limit-min": { type: "string" },
    "database-url": { type: "string" },
    "server-node-options": { type: "string", default: "" },
    json: { type: "string" },
    "rehearsal-isolation": { type: "boolean", default: false },
    "rehearsal-attempts": { type: "string" },
  },
  strict: true,
});

function whole(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new Error(`--${name} must be a whole number ≥ 1`);
  return Number(text);
}

const quick = args.quick;
const sizes = {
  engine: { attempts: quick ? 400 : 3000, concurrencies: [8, 32, 128] },
  hot: quick
    ? { quantity: 500, attempts: 2000, soldOutAttempts: 2000, concurrency: 128 }
    : { quantity: 5000, attempts: 20_000, soldOutAttempts: 20_000, concurrency: 128 },
  large: {
    quantity: whole("large-units", args["large-units"], quick ? 1000 : 10_000),
    attempts: whole("large-attempts", args["large-attempts"], quick ? 20_000 : 1_000_000),
    concurrency: 128,
    timeLimitMs: whole("time-limit-min", args["time-limit-min"], 20) * 60_000,
  },
};
const adminUrl =
  args["database-url"] ??
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/test";

const log = (line: string) => console.error(`bench: ${line}`);

if (args["rehearsal-isolation"]) {
  const sizes = {
    attempts: whole("rehearsal-attempts", args["rehearsal-attempts"], quick ? 2000 : 20_000),
    concurrency: 200,
    quietSeconds: quick ? 5 : 15,
  };
  const fresh = await createFreshDatabase(adminUrl);
  try {
    const rows = [
      await benchRehearsalIsolation("pglite (memory)", { DATA_DIR: "memory" }, sizes, log),
      await benchRehearsalIsolation("postgres", { DATABASE_URL: fresh.url }, sizes, log),
    ];
    console.log(formatIsolation(rows));
    console.log(
      `\nMachine load average at end: ${describeMachine(fresh.serverVersion).loadAverage.join(" / ")}`,
    );
    if (args.json) await writeFile(args.json, `${JSON.stringify(rows, null, 2)}\n`);
  } finally {
    await fresh.drop();
  }
  process.exit(0);
}

const database = await createFreshDatabase(adminUrl);
log(`fresh database ${database.name} on PostgreSQL ${database.serverVersion}`);
try {
  const before = describeMachine(database.serverVersion);
  const startedAt = performance.now();
  const engine = await benchEngine(database.url, { ...sizes.engine, log });
  const setup = {
    databaseUrl: database.url,
    apiKey: await createBenchSeller(database.url),
    nodeOptions: args["server-node-options"],
  };
  const hotDrop = await benchHotDrop(setup, sizes.hot);
  const large = args["skip-large"] ? undefined : await benchLargeRun(setup, sizes.large);
  const results = {
    mode: quick ? "quick" : "full",
    machine: before,
    loadAverageAfter: describeMachine(database.serverVersion).loadAverage,
    minutes: (performance.now() - startedAt) / 60_000,
    /** The runner's own peak memory: the stampede must stay light on the load generator too. */
    loadGeneratorPeakMiB: process.resourceUsage().maxRSS / 1024,
    sizes,
    engine,
    hotDrop,
    large,
  };
  console.log(formatResults(results));
  if (args.json) await writeFile(args.json, `${JSON.stringify(results, null, 2)}\n`);
  const receipts = [hotDrop.hot, hotDrop.soldOut, ...(large ? [large.receipt] : [])];
  process.exitCode = receipts.every((r) => r.breaches.length === 0) ? 0 : 1;
} catch (error) {
  console.error(error);
  process.exitCode = 2;
} finally {
  await database.drop();
}
