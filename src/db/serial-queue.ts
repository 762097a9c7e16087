import { ConnectionUnavailable } from "./database";

/**
 * Runs tasks one at a time, in arrival order. PGlite is a single connection: a statement must not start
 * while another is running. Waiting is bounded like a pool's acquire timeout, so a stampede turns into
 * "busy" answers instead of an ever-growing queue.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #waiting = 0;
  #timeouts = 0;
  #busy = false;
  readonly #settled = () => {
    this.#busy = false;
  };

  constructor(private readonly acquireTimeoutMs: number) {}

  get waiting(): number {
    return this.#waiting;
  }

  /** A task is running (the connection is in use). */
  get busy(): boolean {
    return this.#busy;
  }

  /** Tasks refused because they waited past the acquire timeout, since start. */
  get timeouts(): number {
    return this.#timeouts;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    const enqueuedAt = performance.now();
    this.#waiting++;
    const result = this.#tail.then(() => {
      this.#waiting--;
      if (performance.now() - enqueuedAt > this.acquireTimeoutMs) {
        this.#timeouts++;
        throw new ConnectionUnavailable();
      }
      this.#busy = true;
      return task();
    });
    this.#tail = result.then(this.#settled, this.#settled);
    return result;
  }
}
