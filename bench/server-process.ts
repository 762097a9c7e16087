import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("..", import.meta.url));

/**
 * The real server as its own process, started with the node arguments of `npm start`, so its memory can be
 * read from /proc apart from the load generator's, and the bench measures what `npm start` runs.
 */
export interface ServerProcess {
  url: string;
  pid: number;
  /** Peak resident memory so far (VmHWM) and current (VmRSS), in MiB, from /proc/<pid>/status. */
  memory(): Promise<{ peakMiB: number; currentMiB: number }>;
  stop(): Promise<void>;
}

/** Which runtime serves: Node (`npm start`) or Bun (`npm run start:bun`). */
export type ServerRuntime = "node" | "bun";

const SCRIPT: Record<ServerRuntime, string> = { node: "start", bun: "start:bun" };

/**
 * The command and arguments of `npm start` (e.g. its heap limit) or `npm run start:bun`, so the bench runs
 * exactly that; Bun is the npm package's binary in node_modules, never one from the PATH.
 */
async function startCommand(runtime: ServerRuntime): Promise<[string, string[]]> {
  const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as {
    scripts: Record<string, string>;
  };
  const [command, ...args] = (pkg.scripts[SCRIPT[runtime]] ?? "").split(/\s+/);
  if (command !== runtime)
    throw new Error(`npm run ${SCRIPT[runtime]} should run ${runtime}, not ${command}`);
  return [runtime === "node" ? process.execPath : BUN, args];
}

const BUN = fileURLToPath(new URL("../node_modules/.bin/bun", import.meta.url));

export async function startServerProcess(
  env: Record<string, string>,
  runtime: ServerRuntime = "node",
): Promise<ServerProcess> {
  const [command, args] = await startCommand(runtime);
  const child = spawn(command, args, {
    cwd: REPO,
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: "0",
      SEED_DEMO: "never",
      LOG_LEVEL: "info",
      // The bench is one client by design; the per-client purchase limit would turn it into 429s.
      PURCHASE_RATE_LIMIT: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s: ${stderr}`)), 60_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /on (http:\/\/[\d.]+:\d+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening: ${stderr}`));
    });
  });
  const pid = child.pid!;
  return {
    url,
    pid,
    async memory() {
      const status = await readFile(`/proc/${pid}/status`, "utf8");
      const kib = (field: string) =>
        Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
      return { peakMiB: kib("VmHWM") / 1024, currentMiB: kib("VmRSS") / 1024 };
    },
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
