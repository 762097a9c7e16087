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
 *   npm run bench -- --checkout-stress       only a Stress Test in checkout mode on a hold drop (PGlite and
 *                                            PostgreSQL, 200 and 50 at once; --checkout-units, default 200,
 *                                            5 fans per unit; --quick: 50 units)
 *
 * --database-url: the admin database next to which the fresh one is made (default BENCH_DATABASE_URL,
 * then TEST_DATABASE_URL, then postgres://postgres@127.0.0.1:5432/test). --large-attempts, --large-units,
 * --time-limit-min size the large run. --server-node-options "--max-old-space-size=128" passes NODE_OPTIONS
 * to the server processes when they run on Node (default: none, Node's own heap sizing; Bun, which
 * npm start runs, has no such cap).
 *
 * Scale-out sections (BENCHMARKS.md says what each shows):
 *   npm run bench -- --processes 3           the large run again through HAProxy in front of 3 processes
 *   npm run bench -- --distance              DSQL's distance simulated: D = 0/2/10 ms per round trip
 *   npm run bench -- --runtimes              Node and Bun serving the same stampede and /healthz
 *   npm run bench -- --lanes                 the hot drop at 2, 4 and 8 statements in flight, with the
 *                                            server's and PostgreSQL's CPU per win (Linux /proc)
 *   npm run bench -- --embedded-large        the large run (1,000,000 attempts) on the embedded default
 *                                            (PGlite), for its peak resident memory (about 5-10 minutes)
 *   npm run bench -- --only distance         only the named sections (engine, hot, outbox, embedded, large,
 *                                            embedded-large, processes, distance, runtimes, lanes;
 *                                            comma-separated)
 *   npm run bench -- --only outbox           the hot drop with the messages dispatcher on and off, alternated
 *                                            (--outbox-pairs, default 3): the line "outbox on ÷ off"
 * The "embedded" section (always run) races PGlite against PostgreSQL: 20,000 attempts on 1,000 units, 200
 * at once, from cold servers, alternating, --embedded-trials times each (default 3; --quick: one smaller race).
 * --engine-in-flight N: the engine section's batched run with N statements of a drop in flight (default: the
 * server's, see src/config.ts defaultBatchesInFlight).
 * --distance-seconds (per cell, default 10; 3 with --quick), --distance-pools (default 8,32), --batch-max (group commit's
 * PURCHASE_BATCH_MAX, default 64).
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { benchCheckoutStress, formatCheckoutStress } from "./checkout-stress";
import { benchDistance } from "./distance";
import { benchEmbeddedLarge, benchEmbeddedRace } from "./embedded";
import { benchEngine } from "./engine";
import { createFreshDatabase } from "./fresh-database";
import { benchHotDrop, benchLargeRun } from "./http";
import { benchLanes, lanesSection } from "./lanes";
import { describeMachine } from "./machine";
import { benchOutbox, outboxSection } from "./outbox";
import { benchRehearsalIsolation, formatIsolation } from "./rehearsal-isolation";
import { formatResults } from "./report";
import { distanceSection, processesSection, runtimesSection } from "./report-scale";
import { benchProcesses, benchRuntimes } from "./scale";
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
    "checkout-stress": { type: "boolean", default: false },
    "checkout-units": { type: "string" },
    processes: { type: "string" },
    distance: { type: "boolean", default: false },
    runtimes: { type: "boolean", default: false },
    lanes: { type: "boolean", default: false },
    "embedded-large": { type: "boolean", default: false },
    "embedded-trials": { type: "string" },
    only: { type: "string" },
    "distance-seconds": { type: "string" },
    "distance-pools": { type: "string" },
    "batch-max": { type: "string" },
    "engine-in-flight": { type: "string" },
    "outbox-pairs": { type: "string" },
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
const embeddedSizes = {
  race: quick
    ? {
        attempts: 5000,
        quantity: 250,
        concurrency: 200,
        trials: whole("embedded-trials", args["embedded-trials"], 1),
      }
    : {
        attempts: 20_000,
        quantity: 1000,
        concurrency: 200,
        trials: whole("embedded-trials", args["embedded-trials"], 3),
      },
  large: { ...sizes.large },
};
const SECTIONS = [
  "engine",
  "hot",
  "outbox",
  "embedded",
  "large",
  "embedded-large",
  "processes",
  "distance",
  "runtimes",
  "lanes",
] as const;
const outboxSizes = {
  pairs: whole("outbox-pairs", args["outbox-pairs"], 3),
  quantity: sizes.hot.quantity,
  attempts: sizes.hot.attempts,
  concurrency: sizes.hot.concurrency,
};
const processes = whole("processes", args.processes, 1);
const chosen = new Set(
  args.only?.split(",").map((name) => name.trim()) ?? [
    "engine",
    "hot",
    "embedded",
    "outbox",
    ...(args["skip-large"] ? [] : ["large"]),
    ...(args["embedded-large"] ? ["embedded-large"] : []),
    ...(args.processes ? ["processes"] : []),
    ...(args.distance ? ["distance"] : []),
    ...(args.runtimes ? ["runtimes"] : []),
    ...(args.lanes ? ["lanes"] : []),
  ],
);
for (const name of chosen) {
  if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`--only: no section "${name}"`);
}
const scaleSizes = {
  processes: { ...sizes.large, processes },
  distance: {
    roundTripsMs: [0, 2, 10],
    poolSizes: (args["distance-pools"] ?? "8,32").split(",").map((n) => whole("distance-pools", n, 8)),
    concurrency: 128,
    secondsPerCell: whole("distance-seconds", args["distance-seconds"], quick ? 3 : 10),
    batchMax: whole("batch-max", args["batch-max"], 64),
  },
  lanes: { inFlight: [2, 4, 8], units: quick ? 4000 : 20_000, concurrency: 128 },
  runtimes: quick
    ? { healthz: 5000, quantity: 500, attempts: 5000, concurrency: 200 }
    : { healthz: 20_000, quantity: 1000, attempts: 20_000, concurrency: 200 },
};

const adminUrl =
  args["database-url"] ??
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/test";

const log = (line: string) => console.error(`bench: ${line}`);

/**
 * Runs a section that starts its own server processes (PGlite in memory, and PostgreSQL on a fresh
 * database), prints its Markdown and the load average, writes its rows with --json, and exits.
 */
async function standaloneSection<T>(
  run: (postgresUrl: string) => Promise<T[]>,
  format: (rows: T[]) => string,
): Promise<never> {
  const fresh = await createFreshDatabase(adminUrl);
  try {
    const rows = await run(fresh.url);
    console.log(format(rows));
    console.log(
      `\nMachine load average at end: ${describeMachine(fresh.serverVersion).loadAverage.join(" / ")}`,
    );
    if (args.json) await writeFile(args.json, `${JSON.stringify(rows, null, 2)}\n`);
  } finally {
    await fresh.drop();
  }
  process.exit(0);
}

if (args["rehearsal-isolation"]) {
  const sizes = {
    attempts: whole("rehearsal-attempts", args["rehearsal-attempts"], quick ? 2000 : 20_000),
    concurrency: 200,
    quietSeconds: quick ? 5 : 15,
  };
  await standaloneSection(
    async (url) => [
      await benchRehearsalIsolation("pglite (memory)", { DATA_DIR: "memory" }, sizes, log),
      await benchRehearsalIsolation("postgres", { DATABASE_URL: url }, sizes, log),
    ],
    formatIsolation,
  );
}

if (args["checkout-stress"]) {
  const quantity = whole("checkout-units", args["checkout-units"], quick ? 50 : 200);
  await standaloneSection(async (url) => {
    const rows = [];
    for (const concurrency of [200, 50]) {
      const sizes = { quantity, attempts: 5 * quantity, concurrency };
      rows.push(await benchCheckoutStress("pglite (memory)", { DATA_DIR: "memory" }, sizes, log));
      rows.push(await benchCheckoutStress("postgres", { DATABASE_URL: url }, sizes, log));
    }
    return rows;
  }, formatCheckoutStress);
}

const database = await createFreshDatabase(adminUrl);
log(`fresh database ${database.name} on PostgreSQL ${database.serverVersion}`);
try {
  const before = describeMachine(database.serverVersion);
  const startedAt = performance.now();
  const engineInFlight = args["engine-in-flight"];
  const engine = chosen.has("engine")
    ? await benchEngine(database.url, {
        ...sizes.engine,
        log,
        ...(engineInFlight
          ? { batching: { batchesInFlight: whole("engine-in-flight", engineInFlight, 2) } }
          : {}),
      })
    : [];
  const setup = {
    databaseUrl: database.url,
    apiKey: await createBenchSeller(database.url),
    nodeOptions: args["server-node-options"],
  };
  const hotDrop = chosen.has("hot") ? await benchHotDrop(setup, sizes.hot) : undefined;
  const embedded = chosen.has("embedded") ? await benchEmbeddedRace(setup, embeddedSizes.race) : undefined;
  const outbox = chosen.has("outbox") ? await benchOutbox(adminUrl, outboxSizes, log) : undefined;
  const large = chosen.has("large") ? await benchLargeRun(setup, sizes.large) : undefined;
  const embeddedLarge = chosen.has("embedded-large")
    ? await benchEmbeddedLarge(embeddedSizes.large)
    : undefined;
  const several = chosen.has("processes") ? await benchProcesses(setup, scaleSizes.processes) : undefined;
  const distance = chosen.has("distance")
    ? await benchDistance(database.url, { ...scaleSizes.distance, log })
    : undefined;
  const runtimes = chosen.has("runtimes") ? await benchRuntimes(setup, scaleSizes.runtimes) : undefined;
  const lanes = chosen.has("lanes") ? await benchLanes(setup, scaleSizes.lanes, log) : undefined;
  const scale = [
    ...(outbox ? outboxSection(outbox) : []),
    ...(lanes ? lanesSection(lanes) : []),
    ...(several ? processesSection(several, large) : []),
    ...(distance ? distanceSection(distance, scaleSizes.distance) : []),
    ...(runtimes ? runtimesSection(runtimes) : []),
  ];
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
    embedded,
    large,
    embeddedLarge,
    scale,
    figures: { outbox, several, distance, runtimes, lanes },
  };
  console.log(formatResults(results));
  if (args.json) await writeFile(args.json, `${JSON.stringify(results, null, 2)}\n`);
  const receipts = [
    ...(hotDrop
      ? [
          hotDrop.hot,
          hotDrop.soldOut,
          hotDrop.wins.receipt,
          hotDrop.variants.fiveVariants,
          hotDrop.variants.oneVariantAgain,
          ...[hotDrop.verified, hotDrop.openAgain].filter((r) => r !== undefined),
        ]
      : []),
    ...(embedded ? [...embedded.pglite, ...embedded.postgres].map((t) => t.receipt) : []),
    ...(large ? [large.receipt] : []),
    ...(embeddedLarge ? [embeddedLarge.receipt] : []),
    ...(several ? [several.receipt] : []),
    ...(runtimes ?? []).map((r) => r.stampede),
    ...(lanes ?? []).map((r) => r.receipt),
  ];
  const distanceBreaches = (distance ?? []).flatMap((cell) => cell.figures?.breaches ?? []);
  const outboxFailed = (outbox?.runs ?? []).some((r) => r.verdict !== "PASS");
  process.exitCode =
    !outboxFailed && receipts.every((r) => r.breaches.length === 0) && distanceBreaches.length === 0 ? 0 : 1;
} catch (error) {
  console.error(error);
  process.exitCode = 2;
} finally {
  await database.drop();
}
