import { auditStampede, createLiveDrop, runStampede } from "../src/stampede";
import { createFreshDatabase } from "./fresh-database";
import { hammerHealthz } from "./http";
import { table } from "./report";
import { createBenchSeller } from "./seller";
import { startServerProcess } from "./server-process";

/**
 * The outbox's cost on the hot drop (issue 16: within 10 %), measured in one run: the same hot-drop stampede
 * against the server with its dispatcher on (the default tick) and effectively off (MESSAGES_TICK_MS=60000,
 * so its first tick comes after the run), alternated off/on/off/on… so both sides see the same machine. Each
 * run has a fresh database of its own, so an "on" server never inherits the orders an "off" run left
 * unannounced, and the dispatcher's work is its own drop's: copying those orders into the log while they sell.
 */
export interface OutboxRun {
  dispatcher: "on" | "off";
  winsPerSecond: number;
  /** Seconds after the last win until the log held an order.created for every order (on only). */
  announcedAfterSeconds: number | null;
  verdict: "PASS" | "FAIL";
}

export interface OutboxFigures {
  runs: OutboxRun[];
  sizes: OutboxSizes;
}

export interface OutboxSizes {
  pairs: number;
  quantity: number;
  attempts: number;
  concurrency: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The dispatcher effectively off: its first tick would come a minute after start, long after the run. */
const OFF_TICK_MS = "60000";

export async function benchOutbox(
  adminUrl: string,
  sizes: OutboxSizes,
  log: (line: string) => void,
): Promise<OutboxFigures> {
  const runs: OutboxRun[] = [];
  for (let pair = 0; pair < sizes.pairs; pair++) {
    // Which side goes first alternates too, so neither always runs on the warmer (or busier) machine.
    const order: ("on" | "off")[] = pair % 2 === 0 ? ["off", "on"] : ["on", "off"];
    for (const dispatcher of order) {
      const run = await oneRun(adminUrl, dispatcher, sizes);
      log(
        `outbox ${dispatcher}: ${run.winsPerSecond.toFixed(0)} wins/s${run.announcedAfterSeconds === null ? "" : `, every order in the log ${run.announcedAfterSeconds.toFixed(1)} s after the last win`}`,
      );
      runs.push(run);
    }
  }
  return { runs, sizes };
}

async function oneRun(adminUrl: string, dispatcher: "on" | "off", sizes: OutboxSizes): Promise<OutboxRun> {
  const database = await createFreshDatabase(adminUrl);
  try {
    const apiKey = await createBenchSeller(database.url);
    const server = await startServerProcess({
      DATABASE_URL: database.url,
      ...(dispatcher === "off" ? { MESSAGES_TICK_MS: OFF_TICK_MS } : {}),
    });
    try {
      const drop = await createLiveDrop(server.url, apiKey, sizes.quantity, `Outbox ${dispatcher}`);
      await hammerHealthz(server.url, 2000, sizes.concurrency);
      const run = await runStampede({
        baseUrl: server.url,
        dropRef: drop.id,
        attempts: sizes.attempts,
        concurrency: sizes.concurrency,
      });
      const receipt = await auditStampede(run, apiKey, { backend: "postgres" });
      const announcedAfterSeconds =
        dispatcher === "on" ? await secondsUntilAnnounced(database.url, drop.id, receipt.sold) : null;
      return {
        dispatcher,
        winsPerSecond: receipt.winsPerSecond,
        announcedAfterSeconds,
        verdict: receipt.verdict,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await database.drop();
  }
}

/** Polls the log until every order of the drop has its order.created (at most two minutes). */
async function secondsUntilAnnounced(url: string, dropId: string, sold: number): Promise<number | null> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const startedAt = performance.now();
  try {
    while (performance.now() - startedAt < 120_000) {
      const { rows } = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM events WHERE drop_id = $1::uuid AND type = 'order.created' AND position IS NOT NULL",
        [dropId],
      );
      if ((rows[0]?.n ?? 0) >= sold) return (performance.now() - startedAt) / 1000;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return null;
  } finally {
    await client.end();
  }
}

export function outboxSection(figures: OutboxFigures): string[] {
  const side = (which: "on" | "off") => figures.runs.filter((r) => r.dispatcher === which);
  const on = side("on").map((r) => r.winsPerSecond);
  const off = side("off").map((r) => r.winsPerSecond);
  const ratio = median(on) / median(off);
  const announced = side("on")
    .map((r) => r.announcedAfterSeconds)
    .filter((s): s is number => s !== null);
  const { sizes } = figures;
  return [
    `### Outbox: the hot drop with the dispatcher on and off (${sizes.pairs} pairs, alternated)`,
    "",
    `PostgreSQL, ${sizes.attempts.toLocaleString("en-US")} attempts by ${sizes.concurrency} workers on ${sizes.quantity.toLocaleString("en-US")} units, each run on a fresh database; off = MESSAGES_TICK_MS=${OFF_TICK_MS}.`,
    "",
    table(
      [
        "dispatcher",
        "wins/s, run by run",
        "median",
        "every order in the log after the last win (s)",
        "receipts",
      ],
      (["off", "on"] as const).map((which) => [
        which,
        side(which)
          .map((r) => Math.round(r.winsPerSecond).toLocaleString("en-US"))
          .join(" · "),
        Math.round(median(which === "on" ? on : off)).toLocaleString("en-US"),
        which === "on" && announced.length > 0 ? announced.map((s) => s.toFixed(1)).join(" · ") : "—",
        side(which).every((r) => r.verdict === "PASS") ? "PASS" : "**FAIL**",
      ]),
    ),
    "",
    `**outbox on ÷ off (hot drop wins/s): ${ratio.toFixed(2)}× (medians) — ${ratio >= 0.9 ? "within 10 %" : "more than 10 % slower"}**`,
    "",
  ];
}
