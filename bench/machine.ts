import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { defaultRuntime, startCommand } from "./server-process";

/** What the figures were measured on; load average shows how much else the machine was doing. */
export interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  /** What serves in the HTTP sections: `npm start`'s runtime and its version. */
  server: string;
  postgres: string;
  loadAverage: [number, number, number];
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    return match?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  } catch {
    return os.cpus()[0]?.model ?? "unknown";
  }
}

function serverRuntime(): string {
  const runtime = defaultRuntime();
  if (runtime === "node") return `node ${process.version}`;
  const [bun] = startCommand("bun");
  return `bun ${execFileSync(bun, ["--version"], { encoding: "utf8" }).trim()}`;
}

export function describeMachine(postgresVersion: string): Machine {
  const [one, five, fifteen] = os.loadavg();
  return {
    date: new Date().toISOString(),
    cpus: os.availableParallelism(),
    cpuModel: cpuModel(),
    memoryGiB: os.totalmem() / 1024 ** 3,
    node: process.version,
    server: serverRuntime(),
    postgres: postgresVersion,
    loadAverage: [one ?? 0, five ?? 0, fifteen ?? 0],
  };
}
