import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { type ServerProcess, type ServerRuntime, startServerProcess } from "./server-process";

/**
 * N identical app processes (`npm start`, each its own PORT) on one database, behind Debian's HAProxy on a
 * loopback port: the deployment "Running several instances" in docs/deploying.md describes, started for a test or
 * the bench. HAProxy balances every request on its own (round robin, keep-alive on both sides), so one
 * client connection's requests land on every process in turn: no stickiness is assumed anywhere.
 * @example
 * const cluster = await startCluster({ processes: 3, env: { DATABASE_URL: url } });
 * await runStampede({ baseUrl: cluster.url, ... });   // spread over the 3 processes
 * await cluster.stop();
 */
export interface Cluster {
  /** HAProxy's address, e.g. http://127.0.0.1:41234: the one URL clients use. */
  url: string;
  /** Each app process, reachable directly too (e.g. to open an SSE stream on a given one). */
  processes: ServerProcess[];
  /** HTTP requests HAProxy sent to each process so far, in `processes` order (from its stats CSV). */
  requestsPerProcess(): Promise<number[]>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  processes: number;
  /** Environment of every app process, e.g. DATABASE_URL; the database must be migrated already. */
  env: Record<string, string>;
  runtime?: ServerRuntime;
}

/** The binary Debian's `haproxy` package installs (`apt-get install haproxy`; `.ci/run` does it). */
export const HAPROXY = process.env.HAPROXY_BIN ?? "haproxy";

/** A free loopback port, picked by the system (tiny race until HAProxy binds it; fine on loopback). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The generated configuration. `timeout tunnel` keeps live-counter (SSE) streams open past `timeout server`;
 * the health check takes a process out of rotation while it is down. Stats are served on their own port.
 */
export function haproxyConfig(front: number, stats: number, backends: { name: string; port: number }[]) {
  return [
    "global",
    "  maxconn 4000",
    "defaults",
    "  mode http",
    "  option http-keep-alive",
    "  timeout connect 5s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  timeout tunnel 1h",
    "frontend shop",
    `  bind 127.0.0.1:${front}`,
    "  default_backend app",
    "backend app",
    "  balance roundrobin",
    "  option httpchk GET /healthz",
    ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check inter 2s`),
    "frontend stats",
    `  bind 127.0.0.1:${stats}`,
    "  stats enable",
    "  stats uri /stats",
    "",
  ].join("\n");
}

async function waitUntilServing(url: string, haproxy: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (haproxy.exitCode !== null) throw new Error(`haproxy exited with ${haproxy.exitCode}: ${stderr()}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`haproxy did not serve ${url}/healthz in 10 s: ${stderr()}`);
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const processes: ServerProcess[] = [];
  const dir = await mkdtemp(path.join(tmpdir(), "dropfront-haproxy-"));
  let haproxy: ChildProcess | undefined;
  const stop = async () => {
    if (haproxy && haproxy.exitCode === null) {
      const exited = new Promise((resolve) => haproxy?.once("exit", resolve));
      haproxy.kill("SIGTERM");
      await exited;
    }
    await Promise.all(processes.map((p) => p.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // Started together; any that did start are stopped again if another failed.
    const started = await Promise.allSettled(
      Array.from({ length: options.processes }, () => startServerProcess(options.env, options.runtime)),
    );
    for (const result of started) if (result.status === "fulfilled") processes.push(result.value);
    const failed = started.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    const backends = processes.map((p, i) => ({ name: `p${i}`, port: Number(new URL(p.url).port) }));
    const [front, stats] = [await freePort(), await freePort()];
    const configFile = path.join(dir, "haproxy.cfg");
    await writeFile(configFile, haproxyConfig(front, stats, backends));
    // -db: stay in the foreground, so the process is ours to stop.
    const child = spawn(HAPROXY, ["-db", "-f", configFile], { stdio: ["ignore", "ignore", "pipe"] });
    haproxy = child;
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (error) =>
        reject(new Error(`cannot run ${HAPROXY} (apt-get install haproxy): ${error}`)),
      );
    });
    const url = `http://127.0.0.1:${front}`;
    await waitUntilServing(url, child, () => stderr);
    return {
      url,
      processes,
      requestsPerProcess: async () => {
        const csv = await (await fetch(`http://127.0.0.1:${stats}/stats;csv`)).text();
        const [header, ...rows] = csv.replace(/^# /, "").trim().split("\n");
        const columns = (header ?? "").split(",");
        const [px, sv, req] = ["pxname", "svname", "req_tot"].map((name) => columns.indexOf(name));
        const served = new Map(
          rows
            .map((row) => row.split(","))
            .filter((cells) => cells[px!] === "app")
            .map((cells) => [cells[sv!], Number(cells[req!] || 0)]),
        );
        return backends.map((b) => served.get(b.name) ?? 0);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
