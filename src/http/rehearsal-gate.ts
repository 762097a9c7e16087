import { performance } from "node:perf_hooks";

/**
 * Admits the Stress Test's own requests into this process only while its event loop has room, so live
 * requests (a health check, a fan's purchase) never queue behind thousands of rehearsal requests for the
 * loop itself. Every `tickMs` it reads the loop's utilisation (Node's eventLoopUtilization: the share of
 * time the loop was busy rather than waiting for I/O) and adapts how many waiting rehearsal requests it
 * lets in per tick: up while the loop is under `maxUtilization`, halved when above (additive increase,
 * multiplicative decrease, as TCP does). The rehearsal then gets what live traffic leaves, and slows down,
 * rather than live traffic slowing down. (ELU is "the percentage of time the event loop has spent outside
 * the event loop's event provider (e.g. epoll_wait)", Node's perf_hooks documentation, added in
 * nodejs/node#34938.) Bun's `performance.eventLoopUtilization()` answers zeros (measured on Bun 1.4.4), so
 * the loop's lateness counts too (a tick that fires `lag` ms late saw a loop busy for about that long:
 * `lag ÷ tickMs`, capped at 1), and where utilisation is not measured at all, the process's CPU time per
 * tick of wall time (process.cpuUsage(), every thread, so the Stress Test's own load generator counts):
 * the largest reading decides.
 * @example const gate = new RehearsalGate(); await gate.admit(); // then serve the request
 */
export class RehearsalGate {
  readonly #waiting: Array<() => void> = [];
  #perTick = 1;
  #timer: NodeJS.Timeout | undefined;
  #lastUtilization = performance.eventLoopUtilization();
  #lastTickAt = performance.now();
  #lastCpu = process.cpuUsage();
  #busy = 0;

  constructor(
    private readonly maxUtilization = 0.5,
    private readonly tickMs = 10,
    private readonly maxPerTick = 64,
  ) {}

  /** Resolves when this rehearsal request may be served. */
  admit(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      if (!this.#timer) {
        this.#lastTickAt = performance.now();
        this.#lastUtilization = performance.eventLoopUtilization();
        this.#lastCpu = process.cpuUsage();
        this.#timer = setInterval(() => this.#tick(), this.tickMs);
      }
      this.#timer.unref?.();
    });
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** How busy the loop was over the last tick, 0 to 1 (the larger of utilisation and lateness). */
  get busy(): number {
    return this.#busy;
  }

  /**
   * Bun: no utilisation reading (idle and active both 0), so the process's CPU time over the tick's wall
   * time stands in for it. 0 where utilisation is measured (Node), which then decides alone with lateness.
   */
  #cpuShareWithoutUtilization(utilization: { idle: number; active: number }, wallMs: number): number {
    if (utilization.idle + utilization.active > 0) return 0;
    const cpu = process.cpuUsage();
    const usedMs = (cpu.user - this.#lastCpu.user + cpu.system - this.#lastCpu.system) / 1000;
    this.#lastCpu = cpu;
    return Math.min(1, usedMs / Math.max(wallMs, 1));
  }

  #tick(): void {
    const now = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(now, this.#lastUtilization).utilization;
    this.#lastUtilization = now;
    const tickAt = performance.now();
    const wallMs = tickAt - this.#lastTickAt;
    const lateness = Math.min(1, Math.max(0, wallMs - this.tickMs) / this.tickMs);
    this.#lastTickAt = tickAt;
    const busy = Math.max(utilization || 0, lateness, this.#cpuShareWithoutUtilization(now, wallMs));
    this.#busy = busy;
    this.#perTick =
      busy > this.maxUtilization
        ? Math.max(1, Math.floor(this.#perTick / 2))
        : Math.min(this.maxPerTick, this.#perTick + 1);
    for (let i = 0; i < this.#perTick && this.#waiting.length > 0; i++) this.#waiting.shift()!();
    if (this.#waiting.length === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
