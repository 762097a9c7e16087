import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLiveDrop, createSellerAccount } from "../src/stampede";
import { describeVerdict, type FaultRun, faultStampede, settleAndAudit } from "./support/fault-stampede";

/**
 * The real server (`node --import tsx src/server.ts`) on the embedded default with a data folder is killed
 * with SIGKILL in the middle of a stampede, then started again on the same folder. Every order acknowledged
 * with a 201 before the kill must still be there, and the keys whose answers the kill swallowed must resolve
 * to at most one order each. FAULT_ATTEMPTS raises the size.
 */
const attempts = Number(process.env.FAULT_ATTEMPTS ?? 2000);
const root = path.resolve(import.meta.dirname, "..");

interface ServerProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<NodeJS.Signals | number | null>;
}

/** Starts the server on `dataDir` at a free port and resolves once it says where it listens. */
function startServer(dataDir: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    cwd: root,
    // One client stampedes from loopback on purpose: no per-client purchase limit here.
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: "0",
      SEED_DEMO: "never",
      LOG_LEVEL: "info",
      PURCHASE_RATE_LIMIT: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(signal ?? code)),
  );
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Dropfront Live on http:\/\/[^:]+:(\d+)/.exec(output);
      if (match) resolve({ child, url: `http://127.0.0.1:${match[1]}`, exited });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((how) => reject(new Error(`server exited (${how}) before listening:\n${output}`)));
  });
}

describe("the embedded server killed with SIGKILL mid-stampede", () => {
  let dataDir: string | undefined;
  const servers: ServerProcess[] = [];

  afterAll(async () => {
    for (const server of servers) {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGTERM");
      await server.exited;
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps every acknowledged order across the crash; lost answers resolve by key to one order each", async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "dropfront-sigkill-"));
    const first = await startServer(dataDir);
    servers.push(first);
    const apiKey = await createSellerAccount(first.url);
    const drop = await createLiveDrop(first.url, apiKey, Math.round(attempts * 0.3));

    // Kill once a fifth of the units are acknowledged, while purchases are in flight.
    const killAfterWins = Math.round(drop.quantity / 5);
    const stop = new AbortController();
    let wins = 0;
    const run: FaultRun = await faultStampede({
      baseUrl: first.url,
      dropId: drop.id,
      attempts,
      concurrency: 20,
      requestTimeoutMs: 10_000,
      signal: stop.signal,
      onAnswer: (_answered, answer) => {
        if (answer.status === 201 && ++wins === killAfterWins) {
          first.child.kill("SIGKILL");
          stop.abort();
        }
      },
    });
    expect(await first.exited).toBe("SIGKILL");
    const acknowledgedBeforeKill = run.answers.filter((answer) => answer.status === 201).length;
    const swallowed = run.answers.filter((answer) => answer.status === 0).length;

    const second = await startServer(dataDir);
    servers.push(second);
    const verdict = await settleAndAudit({ ...run, baseUrl: second.url }, apiKey);
    console.info(
      `${describeVerdict("SIGKILL on PGlite", verdict)}; ${acknowledgedBeforeKill} acknowledged before the kill, ${swallowed} answers swallowed by it`,
    );
    expect(acknowledgedBeforeKill).toBeGreaterThanOrEqual(killAfterWins);
    expect(verdict.acknowledgedWithoutRow).toBe(0);
    expect(verdict.breaches).toEqual([]);
    expect(verdict.sold).toBe(verdict.acknowledged + verdict.lostAcknowledgements + verdict.boughtOnRetry);
  }, 180_000); // two cold starts of the embedded database: slow on a loaded machine, never a hang
});
