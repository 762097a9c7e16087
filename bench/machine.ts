import { readFileSync } from "node:fs";
import os from "node:os";

/** What the figures were measured on; load average shows how much else the machine was doing. */
export interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
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

export function describeMachine(postgresVersion: string): Machine {
  const [one, five, fifteen] = os.loadavg();
  return {
    date: new Date().toISOString(),
    cpus: os.availableParallelism(),
    cpuModel: cpuModel(),
    memoryGiB: os.totalmem() / 1024 ** 3,
    node: process.version,
    postgres: postgresVersion,
    loadAverage: [one ?? 0, five ?? 0, fifteen ?? 0],
  };
}
