import { AsyncLocalStorage } from "node:async_hooks";
import { ConnectionUnavailable } from "./database";

/**
 * The rehearsal lane: work done on behalf of a Stress Test runs inside `inRehearsalLane`, and every
 * database statement it makes can tell (AsyncLocalStorage follows the request through its awaits), so
 * the database layer can put live work first without any caller passing a flag down.
 */
const lane = new AsyncLocalStorage<true>();

/** Runs `work` (and everything it awaits) in the rehearsal lane. */
export function inRehearsalLane<T>(work: () => T): T {
  return lane.run(true, work);
}

/** True while serving a Stress Test's own request. */
export function isRehearsalWork(): boolean {
  return lane.getStore() === true;
}

/**
 * At most `slots` rehearsal statements at once on a pooled backend, so a Stress Test never holds more
 * than that share of the pool and live requests always find connections. A statement that cannot get a
 * slot within `acquireTimeoutMs` fails with ConnectionUnavailable (answered "busy"), like the pool's own
 * acquire timeout.
 * @example const share = new RehearsalShare(2, 5000); await share.run(() => pool.query(...));
 */
export class RehearsalShare {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(
    readonly slots: number,
    private readonly acquireTimeoutMs: number,
  ) {
    this.#free = slots;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }

  #acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const granted = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const at = this.#waiting.indexOf(granted);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(new ConnectionUnavailable("the Stress Test's share of the database is in use"));
      }, this.acquireTimeoutMs);
      this.#waiting.push(granted);
    });
  }
}
