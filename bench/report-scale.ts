import type { Receipt } from "../src/stampede";
import type { Design, DistanceCell } from "./distance";
import type { LargeRunFigures } from "./http";
import { met, ms, rate, ratio, table, verdict } from "./report";
import type { ProcessesFigures, RuntimeFigures } from "./scale";

/** Markdown for the scale-out sections: several processes, DSQL's distance, Node and Bun. */

const percent = (n: number) => `${(100 * n).toFixed(n < 0.01 && n > 0 ? 2 : 1)} %`;

export function processesSection(p: ProcessesFigures, single: LargeRunFigures | undefined): string[] {
  const row = (what: string, r: Receipt, spread: string, peak: string) => [
    what,
    `${rate(r.attempts)}${r.cancelled ? ` of ${rate(r.attemptsPlanned)} (time limit)` : ""}`,
    rate(r.quantity),
    `${r.durationSeconds.toFixed(0)} s`,
    rate(r.attemptsPerSecond),
    `${rate(r.counts.won)} / ${rate(r.counts.sold_out)} / ${rate(r.counts.busy)}`,
    spread,
    peak,
    verdict(r),
  ];
  return [
    `### Several processes: the large run through HAProxy in front of ${p.processes} processes`,
    "",
    table(
      [
        "setup",
        "attempts",
        "units",
        "duration",
        "attempts/s",
        "won / sold out / busy",
        "requests per process",
        "peak RSS per process",
        "receipt",
      ],
      [
        ...(single
          ? [row("1 process, direct", single.receipt, "all", `${single.server.peakMiB.toFixed(0)} MiB`)]
          : []),
        row(
          `${p.processes} processes, HAProxy`,
          p.receipt,
          p.requestsPerProcess.map(rate).join(" / "),
          `${p.peakMiB.map((m) => m.toFixed(0)).join(" / ")} MiB`,
        ),
      ],
    ),
    "",
  ];
}

const DESIGNS: { design: Design; label: string }[] = [
  { design: "baseline", label: "baseline (6 round trips, 1 row)" },
  { design: "one-bucket", label: "1 bucket" },
  { design: "k-buckets", label: "K buckets" },
  { design: "group-commit", label: "group commit" },
];

export function distanceSection(
  cells: DistanceCell[],
  settings: { concurrency: number; secondsPerCell: number; batchMax: number },
): string[] {
  const rows: string[][] = [];
  const keys = [...new Set(cells.map((c) => `${c.roundTripMs}/${c.poolSize}`))];
  for (const key of keys) {
    const group = cells.filter((c) => `${c.roundTripMs}/${c.poolSize}` === key);
    const first = group[0]!;
    const of = (design: Design) => group.find((c) => c.design === design)?.figures;
    const baseline = of("baseline");
    const best = Math.max(of("k-buckets")?.winsPerSecond ?? 0, of("group-commit")?.winsPerSecond ?? 0);
    const breaches = group.flatMap((c) => (c.figures?.breaches ?? []).map((b) => `${c.design}: ${b}`));
    rows.push([
      `${first.roundTripMs} ms`,
      String(first.poolSize),
      ...DESIGNS.map(({ design }) => {
        const f = of(design);
        return f ? `${rate(f.winsPerSecond)} (${percent(f.busyRate)})` : "n/a";
      }),
      `${ratio(best, baseline?.winsPerSecond ?? 0)}${first.roundTripMs === 10 ? ` ${met(!!baseline && best >= 20 * baseline.winsPerSecond)}` : ""}`,
      breaches.length ? `FAIL: ${breaches.join("; ")}` : "PASS",
    ]);
  }
  return [
    `### DSQL's distance, simulated: PostgreSQL at REPEATABLE READ behind a TCP proxy adding D ms per round trip`,
    "",
    `${settings.concurrency} buyers for ${settings.secondsPerCell} s per cell, new fans and keys, through the pool; wins/s (busy share).`,
    `K = 64 buckets; group commit = K buckets with PURCHASE_BATCH_MAX=${settings.batchMax} ("n/a": this build has no such setting).`,
    "",
    table(
      [
        "D (round trip)",
        "pool",
        ...DESIGNS.map((d) => d.label),
        "best ÷ baseline (goal ≥ 20× at 10 ms)",
        "audit",
      ],
      rows,
    ),
    "",
    table(
      ["D", "pool", "design", "attempts", "wins", "busy", "errors", "win p99 ms"],
      cells
        .filter((c) => c.figures)
        .map((c) => [
          `${c.roundTripMs} ms`,
          String(c.poolSize),
          c.design,
          rate(c.figures!.attempts),
          rate(c.figures!.wins),
          rate(c.figures!.busy),
          rate(c.figures!.errors),
          ms(c.figures!.p99),
        ]),
    ),
    "",
  ];
}

export function runtimesSection(figures: RuntimeFigures[]): string[] {
  const node = figures.find((f) => f.runtime === "node");
  return [
    "### Node and Bun: the same app, the same client, one run",
    "",
    table(
      [
        "runtime",
        "healthz/s",
        "stampede attempts/s (cold)",
        "wins/s selling",
        "win p50/p99 ms",
        "busy",
        "peak RSS",
        "÷ Node (healthz / stampede)",
        "receipt",
      ],
      figures.map((f) => [
        f.runtime,
        rate(f.healthz.perSecond),
        rate(f.stampede.attemptsPerSecond),
        rate(f.stampede.winsPerSecond),
        `${ms(f.stampede.latencyMs.win.p50)} / ${ms(f.stampede.latencyMs.win.p99)}`,
        rate(f.stampede.counts.busy),
        `${f.peakMiB.toFixed(0)} MiB`,
        node
          ? `${ratio(f.healthz.perSecond, node.healthz.perSecond)} / ${ratio(f.stampede.attemptsPerSecond, node.stampede.attemptsPerSecond)}`
          : "n/a",
        verdict(f.stampede),
      ]),
    ),
    "",
  ];
}
