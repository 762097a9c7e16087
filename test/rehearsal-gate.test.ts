import { describe, expect, it } from "vitest";
import { RehearsalGate } from "../src/http/rehearsal-gate";

/**
 * The gate must see a busy event loop on every runtime it serves on. Found by the rehearsal-isolation bench
 * after the switch to Bun: Bun's performance.eventLoopUtilization() answers zeros, so the gate read every
 * loop as idle, let the Stress Test in at full speed and /healthz's p99 went to 5.3× its quiet value. This
 * file also runs under Bun in CI (.ci/run).
 */
describe("RehearsalGate", () => {
  it("reads a loop blocked for 100 ms as busy", async () => {
    const gate = new RehearsalGate(0.5, 10, 64);
    const admitted = gate.admit();
    const until = performance.now() + 100;
    while (performance.now() < until) {
      // The loop is held here, as a flood of requests would hold it.
    }
    await admitted;
    expect(gate.busy).toBeGreaterThanOrEqual(0.5);
  });
});
