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
 * nodejs/node#34938.)
 * @example const gate = new RehearsalGate(); await gate.admit(); // then serve the request
 */
export class RehearsalGate {
  readonly #waiting: Array<() => void> = [];
  #perTick = 1;
  #timer: NodeJS.Timeout | undefined;
  #lastUtilization = performance.eventLoopUtilization();

  constructor(
    private readonly maxUtilization = 0.5,
    private readonly tickMs = 10,
    private readonly maxPerTick = 64,
  ) {}

  /** Resolves when this rehearsal request may be served. */
  admit(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#timer ??= setInterval(() => this.#tick(), this.tickMs);
      this.#timer.unref?.();
    });
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  #tick(): void {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, this.#lastUtilization).utilization;
    this.#lastUtilization = now;
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
