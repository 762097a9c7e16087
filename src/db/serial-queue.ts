import { ConnectionUnavailable } from "./database";
import { isRehearsalWork } from "./rehearsal-lane";

interface Job {
  task: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  enqueuedAt: number;
}

/**
 * Runs tasks one at a time. PGlite is a single connection: a statement must not start while another is
 * running. Two lanes: live work in arrival order first, and a Stress Test's statements (see
 * rehearsal-lane.ts) only when no live statement is waiting, so a rehearsal never queues a fan or a
 * health check behind thousands of its own purchases. After each rehearsal statement the queue yields
 * to the event loop (setImmediate runs after pending I/O), so requests that just arrived can enqueue
 * their statements before the next rehearsal one starts, and the rehearsal lane keeps to a share of the
 * time (see the constructor). Waiting is bounded like a pool's acquire
 * timeout, so a stampede turns into "busy" answers instead of an ever-growing queue.
 */
export class SerialQueue {
  readonly #live: Job[] = [];
  readonly #rehearsal: Job[] = [];
  #running = false;
  /** The next rehearsal statement may not start before this time (performance.now()). */
  #rehearsalNotBefore = 0;
  #rehearsalTimer: NodeJS.Timeout | undefined;
  #timeouts = 0;

  /**
   * @param rehearsalShare the most of the database's (and so, for PGlite, of this thread's) time that
   * rehearsal statements may take while they keep coming: after one that took d ms, the next waits
   * d × (1 / share − 1) ms, during which live work runs at once and the event loop serves requests.
   */
  constructor(
    private readonly acquireTimeoutMs: number,
    private readonly rehearsalShare = 0.5,
  ) {}

  get waiting(): number {
    return this.#live.length + this.#rehearsal.length;
  }

  /** A task is running (the connection is in use). */
  get busy(): boolean {
    return this.#running;
  }

  /** Tasks refused because they waited past the acquire timeout, since start. */
  get timeouts(): number {
    return this.#timeouts;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        task,
        resolve: resolve as (value: unknown) => void,
        reject,
        enqueuedAt: performance.now(),
      };
      (isRehearsalWork() ? this.#rehearsal : this.#live).push(job);
      this.#next();
    });
  }

  #next(): void {
    while (!this.#running) {
      const rehearsal = this.#live.length === 0;
      if (rehearsal && this.#rehearsal.length > 0 && this.#rehearsalMustWait()) return;
      const job = rehearsal ? this.#rehearsal.shift() : this.#live.shift();
      if (!job) return;
      if (performance.now() - job.enqueuedAt > this.acquireTimeoutMs) {
        this.#timeouts++;
        job.reject(new ConnectionUnavailable());
        continue;
      }
      this.#running = true;
      const startedAt = performance.now();
      // The connection is free again before the caller hears the answer (so `busy` is never stale).
      const settle = () => {
        this.#running = false;
        if (!rehearsal) return queueMicrotask(() => this.#next());
        const took = performance.now() - startedAt;
        this.#rehearsalNotBefore = performance.now() + took * (1 / this.rehearsalShare - 1);
        setImmediate(() => this.#next());
      };
      Promise.resolve()
        .then(job.task)
        .then(
          (value) => {
            settle();
            job.resolve(value);
          },
          (error: unknown) => {
            settle();
            job.reject(error);
          },
        );
    }
  }

  /** True (and a wake-up set) while the rehearsal lane is resting to keep within its share. */
  #rehearsalMustWait(): boolean {
    const wait = this.#rehearsalNotBefore - performance.now();
    if (wait <= 0) return false;
    this.#rehearsalTimer ??= setTimeout(() => {
      this.#rehearsalTimer = undefined;
      this.#next();
    }, Math.ceil(wait));
    return true;
  }
}
