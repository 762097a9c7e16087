import type { MiddlewareHandler } from "hono";

/**
 * Whether this process is draining (SIGTERM received): readiness fails, answers carry `Connection: close`,
 * live streams end. Shared by the server (which starts the drain) and the app (which acts on it).
 * @example const lifecycle = new Lifecycle(); lifecycle.onDrain(() => watcher.closeAll()); lifecycle.drain();
 */
export class Lifecycle {
  #draining = false;
  readonly #listeners: (() => void)[] = [];

  get draining(): boolean {
    return this.#draining;
  }

  /** Runs `listener` when the drain starts (at once if it has). */
  onDrain(listener: () => void): void {
    if (this.#draining) listener();
    else this.#listeners.push(listener);
  }

  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    for (const listener of this.#listeners.splice(0)) listener();
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
