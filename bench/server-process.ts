import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("..", import.meta.url));

/**
 * The real server as its own process, started with the command of `npm start` (or of `npm run start:node` /
 * `npm run start:bun`), so its memory can be read from /proc apart from the load generator's, and the bench
 * and the tests measure what those scripts run.
 */
export interface ServerProcess {
  url: string;
  pid: number;
  /** Resolves with the exit code (or the signal that ended it). */
  exited: Promise<number | NodeJS.Signals | null>;
  /** What the server printed so far, stdout and stderr together (the last 256 KiB). */
  output(): string;
  /** Peak resident memory so far (VmHWM) and current (VmRSS), in MiB, from /proc/<pid>/status. */
  memory(): Promise<{ peakMiB: number; currentMiB: number }>;
  kill(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/** Which runtime serves: Bun (`npm start`, `npm run start:bun`) or Node (`npm run start:node`). */
export type ServerRuntime = "node" | "bun";

const SCRIPT: Record<ServerRuntime, string> = { node: "start:node", bun: "start:bun" };

function scripts(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    scripts: Record<string, string>;
  };
  return pkg.scripts;
}

/**
 * A script's words without its leading `exec`: the start scripts exec the runtime so that npm's signals
 * reach it (a SIGTERM to `npm start` would otherwise stop at the shell and leave the server listening).
 */
function words(script: string | undefined): string[] {
  const all = (script ?? "").split(/\s+/);
  return all[0] === "exec" ? all.slice(1) : all;
}

function isRuntime(command: string | undefined): command is ServerRuntime {
  return command === "node" || command === "bun";
}

/** The runtime `npm start` runs: "the server as `npm start` starts it" follows the default. */
export function defaultRuntime(): ServerRuntime {
  const [command] = words(scripts().start);
  if (!isRuntime(command)) throw new Error(`npm start should run node or bun, not ${command}`);
  return command;
}

const BUN = fileURLToPath(new URL("../node_modules/.bin/bun", import.meta.url));

/**
 * The command and arguments of `npm start` (runtime left out), or of the named runtime's script (e.g. Node's
 * heap limit), so a caller runs exactly that; Bun is the npm package's binary in node_modules, never one from
 * the PATH. `entry` replaces src/server.ts, e.g. with the production bundle's dist/app/server.js.
 * @example const [command, args] = startCommand("node") // [process.execPath, ["--max-old-space-size=160", …]]
 */
export function startCommand(runtime?: ServerRuntime, entry?: string): [string, string[]] {
  const script = runtime ? SCRIPT[runtime] : "start";
  const [command, ...args] = words(scripts()[script]);
  if (!isRuntime(command) || (runtime && command !== runtime))
    throw new Error(`npm run ${script} should run ${runtime ?? "node or bun"}, not ${command}`);
  const withEntry = entry ? args.map((arg) => (arg === "src/server.ts" ? entry : arg)) : args;
  return [command === "node" ? process.execPath : BUN, withEntry];
}

/**
 * Starts the server on a free port of 127.0.0.1 with `env` on top of this process's environment (a value
 * of undefined removes a variable) and resolves once it says where it listens.
 * @example const server = await startServerProcess({ DATABASE_URL: url }, "bun")
 */
export async function startServerProcess(
  env: Record<string, string | undefined>,
  runtime?: ServerRuntime,
  options: { entry?: string } = {},
): Promise<ServerProcess> {
  const [command, args] = startCommand(runtime, options.entry);
  const merged: Record<string, string | undefined> = {
    ...process.env,
    HOST: "127.0.0.1",
    PORT: "0",
    SEED_DEMO: "never",
    LOG_LEVEL: "info",
    // The bench is one client by design; the per-client purchase limit would turn it into 429s.
    PURCHASE_RATE_LIMIT: "0",
    // One bench seller makes every drop of a run; the per-seller drop limit would refuse the later ones.
    DROPS_PER_HOUR: "0",
    ...env,
  };
  const child = spawn(command, args, {
    cwd: REPO,
    env: Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined)),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(signal ?? code)),
  );
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-256 * 1024);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s: ${output}`)), 60_000);
    child.stdout?.on("data", () => {
      const match = /on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${how}) before listening: ${output}`));
    });
  });
  const pid = child.pid!;
  return {
    url,
    pid,
    exited,
    output: () => output,
    async memory() {
      const status = await readFile(`/proc/${pid}/status`, "utf8");
      const kib = (field: string) =>
        Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
      return { peakMiB: kib("VmHWM") / 1024, currentMiB: kib("VmRSS") / 1024 };
    },
    kill: (signal) => child.kill(signal),
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
