import { auditStampede, createLiveDrop, type Receipt, runStampede } from "../src/stampede";
import type { EngineFigures } from "./engine";
import { hammerHealthz, type Rate } from "./http";
import { cpuMs, databaseProcesses } from "./lanes";
import { met, rate, ratio } from "./report";

/**
 * The hot section's "every attempt a win" run (issue 20 §1): a drop with as many units as attempts, so
 * every request is a sale, against GET /healthz on the same server through the same client, just before.
 * Also what each win cost the machine (the server process and PostgreSQL's backends, from /proc), which
 * is the steadier figure on a shared machine: a rate swings with the neighbours' load, CPU per win less.
 */
export interface HotWinsFigures {
  healthz: Rate;
  receipt: Receipt;
  serverCpuMsPerWin: number;
  databaseCpuMsPerWin: number;
}

export async function benchHotWins(
  server: { url: string; pid: number },
  setup: { databaseUrl: string; apiKey: string },
  sizes: { attempts: number; concurrency: number },
): Promise<HotWinsFigures> {
  const drop = await createLiveDrop(
    server.url,
    setup.apiKey,
    sizes.attempts,
    "Bench hot drop, every attempt a win",
  );
  const healthz = await hammerHealthz(server.url, sizes.attempts, sizes.concurrency);
  // The pool may have closed idle connections meanwhile and opens new ones during the run: backends seen at
  // the end count from their start, those seen at the start from then (one that ended counts nothing).
  const backends = await databaseProcesses(setup.databaseUrl);
  const before = new Map(await Promise.all(backends.map(async (pid) => [pid, await cpuMs(pid)] as const)));
  const serverBefore = await cpuMs(server.pid);
  const run = await runStampede({
    baseUrl: server.url,
    dropRef: drop.id,
    attempts: sizes.attempts,
    concurrency: sizes.concurrency,
  });
  const serverMs = (await cpuMs(server.pid)) - serverBefore;
  const seen = new Set([...backends, ...(await databaseProcesses(setup.databaseUrl))]);
  const spent = await Promise.all([...seen].map(async (pid) => (await cpuMs(pid)) - (before.get(pid) ?? 0)));
  const databaseMs = spent.reduce((sum, ms) => sum + Math.max(0, ms), 0);
  const receipt = await auditStampede(run, setup.apiKey, { backend: "postgres" });
  const wins = Math.max(1, receipt.counts.won);
  return { healthz, receipt, serverCpuMsPerWin: serverMs / wins, databaseCpuMsPerWin: databaseMs / wins };
}

const micro = (ms: number) => `${Math.round(ms * 1000)} µs`;

/**
 * Issue 20 §1's two goals as lines of their own, each a ratio measured within this run, so that a run
 * on a quiet machine can be read (and compared with another) at a glance.
 */
export function goalLines(hotWins: HotWinsFigures | undefined, engine: EngineFigures[]): string[] {
  const lines: string[] = [];
  if (hotWins) {
    const { receipt, healthz } = hotWins;
    const wins = receipt.winsPerSecond;
    lines.push(
      `- hot-drop wins ÷ /healthz (every attempt a win, ${rate(receipt.attempts)} by ${receipt.concurrency} workers): ` +
        `${ratio(wins, healthz.perSecond)} (${rate(wins)} vs ${rate(healthz.perSecond)}/s), goal ≥ 0.5: ` +
        `${met(wins >= 0.5 * healthz.perSecond)}; receipt ${receipt.breaches.length === 0 ? "PASS" : "FAIL"}`,
      `- CPU per win in that run: server ${micro(hotWins.serverCpuMsPerWin)} + PostgreSQL ` +
        `${micro(hotWins.databaseCpuMsPerWin)} = ${micro(hotWins.serverCpuMsPerWin + hotWins.databaseCpuMsPerWin)}`,
    );
  }
  const at128 = engine.find((e) => e.concurrency === 128);
  if (at128) {
    const { batched, ceilingPerSecond } = at128;
    lines.push(
      `- engine wins ÷ plain-insert ceiling at 128 buyers (group commit): ${ratio(batched.perSecond, ceilingPerSecond)} ` +
        `(${rate(batched.perSecond)} vs ${rate(ceilingPerSecond)}/s, ${batched.buyersPerStatement.toFixed(1)} buyers a statement), ` +
        `goal ≥ 1.5: ${met(batched.perSecond >= 1.5 * ceilingPerSecond)}`,
    );
  }
  return lines.length === 0 ? [] : ["### Goals of issue 20 §1, as measured in this run", "", ...lines, ""];
}
