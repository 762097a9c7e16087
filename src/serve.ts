import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import type { HttpServerLimits } from "./config";
import { startHttpServer } from "./process/http-server";
import { busyAtCapacity, isReservedRequest } from "./process/reserve";

// The runtime's own HTTP server for the app: `Bun.serve` under Bun (how Hono's Bun guide serves an app),
// `@hono/node-server` under Node (with every client wait bounded, see process/http-server.ts). Under Bun
// the Node adapter works too, through Bun's `node:http` compatibility layer, but that layer costs
// throughput (BENCHMARKS.md, "Node and Bun").

/** What the drain (process/drain.ts) needs of a server, on either runtime. */
export interface DrainableServer {
  /** Stops accepting connections; resolves once every request already accepted has been answered. */
  stopAccepting(): Promise<void>;
  /** Closes keep-alive connections that carry no request now. */
  closeIdleConnections(): void;
  /** Ends every open connection at once, live-counter streams included. */
  closeAllConnections(): void;
}

export type Runtime = "bun" | "node";

/** The app's fetch: the request, and the runtime's per-request environment (Hono's `c.env`). */
type AppFetch = (request: Request, env?: unknown) => Response | Promise<Response>;

/** The part of Bun's global this module uses (typed here so Node's type-check needs no Bun types). */
interface BunRuntime {
  serve(options: {
    fetch: (
      request: Request,
      server: { requestIP(request: Request): { address: string } | null; pendingRequests: number },
    ) => Response | Promise<Response>;
    hostname: string;
    port: number;
    idleTimeout: number;
  }): {
    hostname: string;
    port: number;
    stop(closeActiveConnections?: boolean): Promise<void>;
  };
}

const bun = (globalThis as { Bun?: BunRuntime }).Bun;

export const runtime: Runtime = bun ? "bun" : "node";

/**
 * Bun.serve closes a connection after 10 s without traffic by default, and a quiet live-counter stream is
 * such a connection (https://bun.sh/guides/http/sse). Its heartbeat comes every 15 s, so the idle limit is
 * HTTP_IDLE_TIMEOUT_MS, within Bun's maximum of 255 s.
 */
const BUN_MAX_IDLE_SECONDS = 255;

/**
 * Serves `fetch` on this runtime's own server and resolves once it listens, with a handle the drain
 * stops the same way on either runtime.
 * @example const { server, address } = await serve(app.fetch, { host: "127.0.0.1", port: 3000, limits })
 */
export async function serve(
  fetch: AppFetch,
  options: { host: string; port: number; limits: HttpServerLimits },
): Promise<{ server: DrainableServer; address: AddressInfo }> {
  if (!bun) {
    const { server, address } = await startHttpServer(fetch, options);
    return { server: drainableNodeServer(server), address };
  }
  const origin = `http://${options.host.includes(":") ? `[${options.host}]` : options.host}`;
  const { maxConnections } = options.limits;
  const server = bun.serve({
    fetch: (request, bunServer) =>
      // Bun.serve has no connection cap: requests in flight (open live-counter streams among them) stand
      // for it. Beyond HTTP_MAX_CONNECTIONS only health checks and purchases are served, so they still
      // find a descriptor while streams hold the rest (docs/capacity.md). https://bun.sh/docs/api/http
      bunServer.pendingRequests > maxConnections &&
      !isReservedRequest(request.method, new URL(request.url, origin).pathname)
        ? busyAtCapacity()
        : fetch(
            // An HTTP/1.0 request may have no Host header (HAProxy's default health check has none); Bun then
            // gives a bare path as its URL, which the app cannot parse. @hono/node-server falls back to the
            // listening host in that case; so does this.
            request.url.startsWith("/") ? new Request(new URL(request.url, origin), request) : request,
            // The client's address, where http/client-address.ts reads it under @hono/node-server (the
            // Node request's socket); without it every client on Bun was one client, "local", to the
            // per-client purchase limit and sign-in throttle. requestIP: https://bun.sh/docs/api/http
            { incoming: { socket: { remoteAddress: bunServer.requestIP(request)?.address } } },
          ),
    hostname: options.host,
    port: options.port,
    idleTimeout: Math.min(BUN_MAX_IDLE_SECONDS, Math.ceil(options.limits.idleTimeoutMs / 1000)),
  });
  const family = server.hostname.includes(":") ? "IPv6" : "IPv4";
  return {
    address: { address: server.hostname, port: server.port, family },
    server: {
      // Bun's stop(false) stops listening and lets requests in flight finish (idle sockets go with it).
      stopAccepting: () => server.stop(false),
      closeIdleConnections: () => undefined,
      closeAllConnections: () => void server.stop(true),
    },
  };
}

function drainableNodeServer(server: Server): DrainableServer {
  return {
    // net.Server's close stops accepting without http.Server's at-once closeIdleConnections(), which would
    // also reset sockets accepted a moment ago whose request is still on its way (see process/drain.ts).
    stopAccepting: () => new Promise((resolve) => net.Server.prototype.close.call(server, () => resolve())),
    closeIdleConnections: () => server.closeIdleConnections(),
    closeAllConnections: () => server.closeAllConnections(),
  };
}
