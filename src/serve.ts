import type { AddressInfo } from "node:net";
import { serve as serveOnNode } from "@hono/node-server";

// The runtime's own HTTP server for the app: `Bun.serve` under Bun (how Hono's Bun guide serves an app),
// `@hono/node-server` under Node. Under Bun the Node adapter works too, through Bun's `node:http`
// compatibility layer, but that layer costs throughput (BENCHMARKS.md, "Node and Bun").

export interface ServeOptions {
  fetch: (request: Request) => Response | Promise<Response>;
  hostname: string;
  port: number;
}

export interface ServedApp {
  /** Stops accepting connections; `callback` runs once in-flight requests have finished. */
  close(callback?: (error?: Error) => void): void;
  /** Ends every open connection at once, live-counter streams included. */
  closeAllConnections(): void;
}

export type Runtime = "bun" | "node";

/** The part of Bun's global this module uses (typed here so Node's type-check needs no Bun types). */
interface BunRuntime {
  serve(options: { fetch: ServeOptions["fetch"]; hostname: string; port: number; idleTimeout: number }): {
    hostname: string;
    port: number;
    stop(closeActiveConnections?: boolean): Promise<void>;
  };
}

const bun = (globalThis as { Bun?: BunRuntime }).Bun;

export const runtime: Runtime = bun ? "bun" : "node";

/**
 * Bun.serve closes a connection after 10 s without traffic by default, and a quiet live-counter stream is
 * such a connection (https://bun.sh/guides/http/sse). Its heartbeat comes every 15 s, so allow 60 s
 * (the maximum is 255).
 */
const BUN_IDLE_TIMEOUT_SECONDS = 60;

/**
 * Serves `options.fetch` on this runtime and calls `onListening` once it listens. Both runtimes return the
 * same small handle, so `src/server.ts` stops the server the same way on either.
 * @example const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 3000 }, (info) => log(info.port))
 */
export function serve(options: ServeOptions, onListening: (info: AddressInfo) => void): ServedApp {
  if (!bun) {
    const server = serveOnNode(options, onListening);
    return {
      close: (callback) => server.close(callback),
      closeAllConnections: () => {
        if ("closeAllConnections" in server) server.closeAllConnections();
      },
    };
  }
  const server = bun.serve({ ...options, idleTimeout: BUN_IDLE_TIMEOUT_SECONDS });
  const family = server.hostname.includes(":") ? "IPv6" : "IPv4";
  queueMicrotask(() => onListening({ address: server.hostname, port: server.port, family }));
  return {
    close: (callback) =>
      void server.stop(false).then(
        () => callback?.(),
        (error: Error) => callback?.(error),
      ),
    closeAllConnections: () => void server.stop(true),
  };
}
