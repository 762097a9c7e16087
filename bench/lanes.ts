import { readFile } from "node:fs/promises";
import pg from "pg";
import { auditStampede, createLiveDrop, type Receipt, runStampede } from "../src/stampede";
import { hammerHealthz, type Rate, type ServerSetup } from "./http";
import { ms, rate, ratio, table, verdict } from "./report";
import { startServerProcess } from "./server-process";

/**
 * Statements in flight (`--only lanes`): the hot drop through HTTP with PURCHASE_BATCHES_IN_FLIGHT at 2, 4
 * and 8, every attempt a win, and what each win cost the machine: the server process's CPU and the CPU of
 * PostgreSQL's backends serving the bench database, read from /proc (Linux). On 2 shared cores the
 * load generator, the server and PostgreSQL compete, so CPU per win, not only wins/s, decides the default.
 */
export interface LaneFigures {
  inFlight: number;
  healthz: Rate;
  receipt: Receipt;
  serverCpuMsPerWin: number;
  databaseCpuMsPerWin: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux: /proc/<pid>/stat counts CPU in hundredths of a second.

export async function cpuMs(pid: number): Promise<number> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0; // a backend that ended meanwhile
  }
}

/** The PostgreSQL backends connected to the bench database now, and the WAL writer that commits for them. */
export async function databaseProcesses(databaseUrl: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
       WHERE (datname = current_database() AND pid <> pg_backend_pid()) OR backend_type = 'walwriter'`,
    );
    return rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}

export const totalCpuMs = async (pids: number[]) =>
  (await Promise.all(pids.map(cpuMs))).reduce((a, b) => a + b, 0);

export async function benchLanes(
  setup: ServerSetup,
  sizes: { inFlight: number[]; units: number; concurrency: number },
  log: (line: string) => void,
): Promise<LaneFigures[]> {
  const rows: LaneFigures[] = [];
  for (const inFlight of sizes.inFlight) {
    const server = await startServerProcess({
      DATABASE_URL: setup.databaseUrl,
      PURCHASE_BATCHES_IN_FLIGHT: String(inFlight),
    });
    try {
      // Warm-up: JIT, the pool's connections and the purchase statement's plan, on a drop of its own.
      const warm = await createLiveDrop(server.url, setup.apiKey, 2000, `Lanes warm-up ${inFlight}`);
      await runStampede({
        baseUrl: server.url,
        dropRef: warm.id,
        attempts: 2000,
        concurrency: sizes.concurrency,
      });
      const healthz = await hammerHealthz(server.url, sizes.units, sizes.concurrency);
      const drop = await createLiveDrop(server.url, setup.apiKey, sizes.units, `Lanes ${inFlight}`);
      const backends = await databaseProcesses(setup.databaseUrl);
      const before = { server: await cpuMs(server.pid), database: await totalCpuMs(backends) };
      log(`lanes: ${inFlight} in flight, ${sizes.units} wins by ${sizes.concurrency} workers`);
      const run = await runStampede({
        baseUrl: server.url,
        dropRef: drop.id,
        attempts: sizes.units,
        concurrency: sizes.concurrency,
      });
      const serverMs = (await cpuMs(server.pid)) - before.server;
      const databaseMs = (await totalCpuMs(backends)) - before.database;
      const receipt = await auditStampede(run, setup.apiKey, { backend: "postgres" });
      const wins = Math.max(1, receipt.counts.won);
      rows.push({
        inFlight,
        healthz,
        receipt,
        serverCpuMsPerWin: serverMs / wins,
        databaseCpuMsPerWin: databaseMs / wins,
      });
    } finally {
      await server.stop();
    }
  }
  return rows;
}

/** Markdown for the section. */
export function lanesSection(rows: LaneFigures[]): string[] {
  const micro = (ms: number) => `${Math.round(ms * 1000)} µs`;
  return [
    "### Statements in flight: the hot drop at each PURCHASE_BATCHES_IN_FLIGHT (every attempt a win)",
    "",
    table(
      [
        "in flight",
        "wins",
        "wins/s",
        "healthz/s",
        "÷ healthz",
        "win p50/p99 ms",
        "server CPU per win",
        "PostgreSQL CPU per win",
        "together",
        "receipt",
      ],
      rows.map((r) => [
        String(r.inFlight),
        rate(r.receipt.counts.won),
        rate(r.receipt.winsPerSecond),
        rate(r.healthz.perSecond),
        ratio(r.receipt.winsPerSecond, r.healthz.perSecond),
        `${ms(r.receipt.latencyMs.win.p50)} / ${ms(r.receipt.latencyMs.win.p99)}`,
        micro(r.serverCpuMsPerWin),
        micro(r.databaseCpuMsPerWin),
        micro(r.serverCpuMsPerWin + r.databaseCpuMsPerWin),
        verdict(r.receipt),
      ]),
    ),
    "",
  ];
}
