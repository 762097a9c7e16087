import type { Receipt } from "../src/stampede";
import type { EmbeddedLargeFigures, EmbeddedRaceFigures } from "./embedded";
import type { EngineFigures } from "./engine";
import { goalLines } from "./hot-wins";
import type { HotDropFigures, LargeRunFigures, Rate, ServerMemory } from "./http";
import type { Machine } from "./machine";

/** The bench's results as Markdown tables, ready to paste into BENCHMARKS.md. */
export interface BenchResults {
  mode: string;
  machine: Machine;
  loadAverageAfter: [number, number, number];
  minutes: number;
  loadGeneratorPeakMiB: number;
  /** Empty, or undefined, for sections left out of the run (`--only`). */
  engine: EngineFigures[];
  hotDrop: HotDropFigures | undefined;
  large: LargeRunFigures | undefined;
  /** The embedded default (PGlite) raced against PostgreSQL, when run. */
  embedded?: EmbeddedRaceFigures | undefined;
  /** The large run on PGlite, for its peak memory (`--embedded-large`). */
  embeddedLarge?: EmbeddedLargeFigures | undefined;
  /** The scale-out sections (bench/report-scale.ts), when asked for. */
  scale: string[];
}

export const rate = (n: number) => Math.round(n).toLocaleString("en-US");
export const ms = (n: number | null) => (n === null ? "n/a" : n < 10 ? n.toFixed(2) : n.toFixed(1));
export const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : "n/a");
export const met = (ok: boolean) => (ok ? "met" : "**missed**");
const memory = (s: ServerMemory) =>
  `${s.peakMiB.toFixed(0)} MiB (${s.startMiB.toFixed(0)} at start${s.nodeOptions ? `, ${s.nodeOptions}` : ""})`;
export const verdict = (r: Receipt) => (r.breaches.length === 0 ? "PASS" : `FAIL: ${r.breaches.join("; ")}`);

export const table = (head: string[], rows: string[][]) =>
  [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => " --- ").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");

function soldOutRow(soldOut: Receipt, healthz: Rate): string[] {
  const perSecond = soldOut.attemptsPerSecond;
  const p99 = soldOut.latencyMs.rejection.p99;
  return [
    String(soldOut.concurrency),
    rate(soldOut.attempts),
    rate(perSecond),
    rate(healthz.perSecond),
    `${ratio(perSecond, healthz.perSecond)} ${met(perSecond >= 0.8 * healthz.perSecond)}`,
    `${ms(soldOut.latencyMs.rejection.p50)} / ${ms(p99)} ${met((p99 ?? Number.POSITIVE_INFINITY) < 10)}`,
    `${ms(healthz.p50)} / ${ms(healthz.p99)}`,
    verdict(soldOut),
  ];
}

export function formatResults(r: BenchResults): string {
  const m = r.machine;
  const out = [
    `## Bench (${r.mode}) — ${m.date.slice(0, 16).replace("T", " ")} UTC, ${r.minutes.toFixed(1)} min`,
    "",
    `Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB.toFixed(1)} GiB, Node ${m.node} (load generator), server on ${m.server} (npm start), PostgreSQL ${m.postgres}; ` +
      `load average ${m.loadAverage.map((l) => l.toFixed(1)).join(" / ")} at start, ` +
      `${r.loadAverageAfter.map((l) => l.toFixed(1)).join(" / ")} at end. ` +
      `Load generator (this process) peak RSS ${r.loadGeneratorPeakMiB.toFixed(0)} MiB.`,
    "",
  ];
  out.push(...goalLines(r.hotDrop?.wins, r.engine));
  if (r.engine.length > 0) out.push(...engineSection(r.engine));
  if (r.hotDrop) out.push(...hotDropSections(r.hotDrop, r.engine), ...variantsLines(r.hotDrop));
  if (r.embedded) out.push(...embeddedSection(r.embedded));
  if (r.large) out.push(...largeSection(r.large));
  if (r.embeddedLarge) out.push(...embeddedLargeSection(r.embeddedLarge));
  out.push(...r.scale);
  return out.join("\n");
}

function engineSection(engine: EngineFigures[]): string[] {
  return [
    "### 1. Engine: purchases/s without HTTP (pool 8, read committed)",
    "",
    table(
      [
        "buyers",
        "plain-insert ceiling/s",
        "1 bucket/s",
        "÷ ceiling",
        "K buckets/s",
        "K",
        "÷ ceiling",
        "busy (1 / K)",
        "p99 ms (1 / K)",
        "K batched/s",
        "÷ ceiling (goal ≥ 1.5)",
        "buyers a statement",
      ],
      engine.map((e) => [
        String(e.concurrency),
        rate(e.ceilingPerSecond),
        rate(e.oneBucket.perSecond),
        ratio(e.oneBucket.perSecond, e.ceilingPerSecond),
        rate(e.chosenBuckets.perSecond),
        String(e.chosenBuckets.buckets),
        ratio(e.chosenBuckets.perSecond, e.ceilingPerSecond),
        `${e.oneBucket.busy} / ${e.chosenBuckets.busy}`,
        `${ms(e.oneBucket.p99)} / ${ms(e.chosenBuckets.p99)}`,
        rate(e.batched.perSecond),
        ratio(e.batched.perSecond, e.ceilingPerSecond),
        e.batched.buyersPerStatement.toFixed(1),
      ]),
    ),
    "",
  ];
}

/**
 * Issue 17 §1 / issue 20 §3: a verified-fans drop within 10 % of an open one. Runs in the order open,
 * verified, open again; the verified figure is compared with the two open runs' mean.
 */
function verifiedLine(open: Receipt, verified: Receipt, openAgain: Receipt | undefined): string {
  const opens = openAgain ? [open.winsPerSecond, openAgain.winsPerSecond] : [open.winsPerSecond];
  const mean = opens.reduce((a, b) => a + b, 0) / opens.length;
  return `verified ÷ open (hot drop wins/s): ${ratio(verified.winsPerSecond, mean)} (verified ${rate(verified.winsPerSecond)}/s; open ${opens.map((o) => `${rate(o)}/s`).join(" before, ")}${openAgain ? " after" : ""}; goal ≥ 0.90×) ${met(verified.winsPerSecond >= 0.9 * mean)} — receipts: verified ${verdict(verified)}${openAgain ? `, open again ${verdict(openAgain)}` : ""}`;
}

/**
 * Issue 20 §3's ratio line for variants: wins per second selling on a hot drop of 5 variants over the mean
 * of the one-variant runs before and after it (same server, same sizes). Goal: within 15 %.
 */
export function variantsLines(hotDrop: HotDropFigures): string[] {
  const { count, fiveVariants, oneVariantAgain } = hotDrop.variants;
  const one = (hotDrop.hot.winsPerSecond + oneVariantAgain.winsPerSecond) / 2;
  const five = fiveVariants.winsPerSecond;
  return [
    `${count} variants ÷ 1 variant (hot drop wins/s): ${ratio(five, one)} ${met(five >= 0.85 * one)} ` +
      `(${rate(five)} wins/s over ${count} variants; 1 variant ${rate(hotDrop.hot.winsPerSecond)} before, ` +
      `${rate(oneVariantAgain.winsPerSecond)} after; receipts ${verdict(fiveVariants)} / ${verdict(oneVariantAgain)}; goal ≥ 0.85)`,
    "",
  ];
}

function hotDropSections(hotDrop: HotDropFigures, engine: EngineFigures[]): string[] {
  const { hot, soldOut, healthz } = hotDrop;
  const hotCeiling = engine.find((e) => e.concurrency === hot.concurrency)?.ceilingPerSecond ?? 0;
  return [
    "### 2. HTTP stampede on one hot drop (server child process, PostgreSQL)",
    "",
    table(
      [
        "attempts",
        "units",
        "workers",
        "attempts/s",
        "wins/s selling",
        "÷ ceiling (goal ≥ 0.5)",
        "win p50/p99 ms",
        "reject p50/p99 ms",
        "busy",
        "server peak RSS",
        "receipt",
      ],
      [
        [
          rate(hot.attempts),
          rate(hot.quantity),
          String(hot.concurrency),
          rate(hot.attemptsPerSecond),
          rate(hot.winsPerSecond),
          `${ratio(hot.winsPerSecond, hotCeiling)} ${met(hot.winsPerSecond >= 0.5 * hotCeiling)}`,
          `${ms(hot.latencyMs.win.p50)} / ${ms(hot.latencyMs.win.p99)}`,
          `${ms(hot.latencyMs.rejection.p50)} / ${ms(hot.latencyMs.rejection.p99)}`,
          String(hot.counts.busy),
          memory(hotDrop.server),
          verdict(hot),
        ],
      ],
    ),
    "",
    ...(hotDrop.verified ? [verifiedLine(hot, hotDrop.verified, hotDrop.openAgain), ""] : []),
    "### 3. After sold out: rejections vs GET /healthz on the same server, through the same client",
    "",
    table(
      [
        "workers",
        "requests",
        "rejections/s",
        "healthz/s",
        "÷ (goal ≥ 0.8)",
        "reject p50/p99 ms (goal p99 < 10)",
        "healthz p50/p99 ms",
        "receipt",
      ],
      [soldOutRow(soldOut, healthz), soldOutRow(hotDrop.light.soldOut, hotDrop.light.healthz)],
    ),
    "",
  ];
}

function largeSection(large: LargeRunFigures): string[] {
  const l = large.receipt;
  return [
    "### 4. Large run (own server process)",
    "",
    table(
      [
        "attempts",
        "units",
        "workers",
        "duration",
        "attempts/s",
        "sold",
        "won / sold out / busy",
        "server peak RSS (goal < 256 MiB)",
        "receipt",
      ],
      [
        [
          `${rate(l.attempts)}${l.cancelled ? ` of ${rate(l.attemptsPlanned)} (time limit)` : ""}`,
          rate(l.quantity),
          String(l.concurrency),
          `${l.durationSeconds.toFixed(0)} s`,
          rate(l.attemptsPerSecond),
          rate(l.sold),
          `${rate(l.counts.won)} / ${rate(l.counts.sold_out)} / ${rate(l.counts.busy)}`,
          `${memory(large.server)} ${met(large.server.peakMiB < 256)}`,
          verdict(l),
        ],
      ],
    ),
    "",
  ];
}

function embeddedSection(e: EmbeddedRaceFigures): string[] {
  const { attempts, quantity, concurrency, trials } = e.sizes;
  const name = `${rate(attempts)}/${rate(quantity)}/${concurrency} race`;
  const row = (backend: string, t: EmbeddedRaceFigures["pglite"][number], n: number) => [
    backend,
    String(n),
    rate(t.attemptsPerSecond),
    `${ms(t.winP50)} / ${ms(t.winP99)}`,
    String(t.receipt.counts.busy),
    `${t.peakMiB.toFixed(0)} MiB`,
    verdict(t.receipt),
  ];
  const medianOf = (trialsOf: EmbeddedRaceFigures["pglite"]) =>
    trialsOf.map((t) => t.attemptsPerSecond).sort((a, b) => a - b)[trialsOf.length >> 1] ?? 0;
  const pgliteMedian = medianOf(e.pglite);
  return [
    `### The embedded default: PGlite against PostgreSQL, ${attempts} attempts on ${quantity} units, ${concurrency} at once`,
    "",
    `Cold server processes (\`npm start\`'s command), PGlite on a fresh data folder; alternating, ${trials} trial(s) each.`,
    "",
    table(
      ["backend", "trial", "attempts/s", "win p50/p99 ms", "busy", "server peak RSS", "receipt"],
      [
        ...e.pglite.map((t, i) => row("PGlite", t, i + 1)),
        ...e.postgres.map((t, i) => row("PostgreSQL", t, i + 1)),
      ],
    ),
    "",
    `PGlite ÷ PostgreSQL (${name}, attempts/s): ${e.ratio.toFixed(2)}× (medians ${rate(pgliteMedian)} vs ${rate(medianOf(e.postgres))}) ${met(e.ratio >= 0.6)}`,
    `PGlite winner p99 (${name}): ${ms(e.pgliteWinP99)} ms ${met((e.pgliteWinP99 ?? Number.POSITIVE_INFINITY) < 300)}`,
    "",
  ];
}

function embeddedLargeSection(large: EmbeddedLargeFigures): string[] {
  const l = large.receipt;
  return [
    "### The large run on the embedded default (PGlite data folder, own server process)",
    "",
    table(
      ["attempts", "units", "workers", "duration", "attempts/s", "sold", "server peak RSS", "receipt"],
      [
        [
          `${rate(l.attempts)}${l.cancelled ? ` of ${rate(l.attemptsPlanned)} (time limit)` : ""}`,
          rate(l.quantity),
          String(l.concurrency),
          `${l.durationSeconds.toFixed(0)} s`,
          rate(l.attemptsPerSecond),
          rate(l.sold),
          `${large.peakMiB.toFixed(0)} MiB (${large.startMiB.toFixed(0)} at start)`,
          verdict(l),
        ],
      ],
    ),
    "",
    `PGlite ${rate(l.attempts)}-attempt run peak RSS: ${large.peakMiB.toFixed(0)} MiB ${met(large.peakMiB < 256)}`,
    "",
    large.garbageBudget
      ? `Garbage budget (GC_BUDGET_MIB): ${large.garbageBudget.collections} full collections, ${large.garbageBudget.collectingMs} ms of the server's thread`
      : "Garbage budget (GC_BUDGET_MIB): off",
    "",
  ];
}
