import type { MiddlewareHandler } from "hono";

/**
 * Whether this process is draining (SIGTERM received): readiness fails, answers carry `Connection: close`,
 * live streams end. Shared by the server (which starts the drain) and the app (which acts on it).
 * @example const lifecycle = new Lifecycle(); lifecycle.onDrain(() => watcher.closeAll()); lifecycle.drain();
 */
export class Lifecycle {
  #draining = false;
  readonly #listeners: (() => unknown)[] = [];
  /** What listeners still have to finish (e.g. Stress Tests writing their receipts) before the database closes. */
  readonly #work: Promise<unknown>[] = [];

  get draining(): boolean {
    return this.#draining;
  }

  /**
   * Runs `listener` when the drain starts (at once if it has). A promise it returns is work that needs the
   * database: `settled()` waits for it, and the drain closes the database only after that.
   */
  onDrain(listener: () => unknown): void {
    if (this.#draining) this.#run(listener);
    else this.#listeners.push(listener);
  }

  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    for (const listener of this.#listeners.splice(0)) this.#run(listener);
  }

  /** Resolves once the work the drain's listeners started has ended, however it ended. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.#work);
  }

  #run(listener: () => unknown): void {
    const result = listener();
    if (result instanceof Promise) this.#work.push(result);
  }
}

/**
 * While draining, every answer says `Connection: close`, so keep-alive clients open their next connection
 * elsewhere (to a process that is not going away) instead of reusing one this process is about to close.
 * @example app.use("*", closeConnectionsWhileDraining(lifecycle))
 */
export function closeConnectionsWhileDraining(lifecycle: Lifecycle): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (lifecycle.draining) c.header("Connection", "close");
  };
}
