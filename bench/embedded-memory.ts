/**
 * Where the embedded server's memory goes in a race (issue 20 §2): the server as `npm start` runs it (Bun,
 * a fresh PGlite data folder; `--runtime-flags` adds flags before src/server.ts, e.g. "--smol"), a race of
 * `--attempts` on `--units` at `--concurrency`, and its resident memory sampled every 250 ms from /proc
 * (VmRSS; VmHWM is the peak) with PGlite's WebAssembly memory from /metrics. Prints the peak, the memory at
 * the start and after the sell-out, where the peak was reached, and the garbage budget's collections (set
 * GC_BUDGET_MIB in this process's environment to change it, 0 for off).
 *
 *   node --import tsx bench/embedded-memory.ts [--attempts 20000] [--units 1000] [--concurrency 200] [--runtime-flags=--smol]
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { auditStampede, createLiveDrop, createSellerAccount, runStampede } from "../src/stampede";

const { values: args } = parseArgs({
  options: {
    attempts: { type: "string", default: "20000" },
    units: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "200" },
    "runtime-flags": { type: "string", default: "" },
    /** bun (as `npm start`) or node (with tsx, as `npm run start:node` without its heap cap). */
    runtime: { type: "string", default: "bun" },
    /** Another entry than src/server.ts, with its arguments (e.g. "bench/pglite-worker/server.ts --worker"). */
    entry: { type: "string", default: "src/server.ts" },
  },
});

const REPO = fileURLToPath(new URL("..", import.meta.url));
const BUN = path.join(REPO, "node_modules/.bin/bun");

async function status(pid: number): Promise<{ rss: number; hwm: number }> {
  const text = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
  return { rss: kib("VmRSS") / 1024, hwm: kib("VmHWM") / 1024 };
}

const folder = await mkdtemp(path.join(tmpdir(), "dropfront-memory-"));
const flags = args["runtime-flags"]!.split(/\s+/).filter(Boolean);
const onNode = args.runtime === "node";
const child = spawn(
  onNode ? process.execPath : BUN,
  [...(onNode ? ["--import", "tsx"] : []), ...flags, ...args.entry!.split(/\s+/)],
  {
    cwd: REPO,
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== "DATABASE_URL")),
      DATA_DIR: folder,
      HOST: "127.0.0.1",
      PORT: "0",
      SEED_DEMO: "never",
      PURCHASE_RATE_LIMIT: "0",
      DROPS_PER_HOUR: "0",
    },
    stdio: ["ignore", "pipe", "inherit"],
  },
);
let out = "";
try {
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  const pid = child.pid!;
  const engineMiB = async () => {
    const text = await (await fetch(`${url}/metrics`)).text().catch(() => "");
    const bytes = /dropfront_pglite_memory_bytes\S*\s+(\d+)/.exec(text)?.[1];
    return bytes ? Number(bytes) / 2 ** 20 : Number.NaN;
  };
  const start = await status(pid);
  const apiKey = await createSellerAccount(url);
  const drop = await createLiveDrop(url, apiKey, Number(args.units), "Memory race");
  const samples: { at: number; rss: number; won: number }[] = [];
  let won = 0;
  const startedAt = Date.now();
  const sampler = setInterval(() => {
    void status(pid).then((s) => samples.push({ at: Date.now() - startedAt, rss: s.rss, won }));
  }, 250);
  const run = await runStampede({
    baseUrl: url,
    dropRef: drop.id,
    attempts: Number(args.attempts),
    concurrency: Number(args.concurrency),
    onProgress: (progress) => {
      won = progress.counts.won;
    },
  });
  clearInterval(sampler);
  const end = await status(pid);
  const receipt = await auditStampede(run, apiKey, { backend: "pglite" });
  const top = samples.reduce((a, b) => (b.rss > a.rss ? b : a), { at: 0, rss: 0, won: 0 });
  console.log(
    `${args.runtime} ${flags.join(" ")} ${args.entry}: ${args.attempts}/${args.units}/${args.concurrency} ${receipt.verdict} ${receipt.attemptsPerSecond.toFixed(0)} attempts/s; ` +
      `start ${start.rss.toFixed(0)} MiB, peak (VmHWM) ${end.hwm.toFixed(0)} MiB at ~${top.at} ms (${top.won} won), end ${end.rss.toFixed(0)} MiB, engine (WASM) ${(await engineMiB()).toFixed(0)} MiB`,
  );
} finally {
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
  // The garbage budget's collections (GC_BUDGET_MIB), from the server's "stopping" line.
  const budget = /"garbageBudget":(\{[^}]*\})/.exec(out)?.[1];
  console.log(`garbage budget: ${budget ?? "off"}`);
  await rm(folder, { recursive: true, force: true });
}
