import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { HttpServerLimits } from "../config";

export interface RunningHttpServer {
  server: Server;
  /** The address as bound, e.g. { address: "127.0.0.1", port: 3000 }. */
  address: AddressInfo;
}

/**
 * Starts the Node HTTP server for `fetch` with every client-facing wait bounded, so silent or slow clients
 * cannot hold sockets (and file descriptors) for long:
 * - `headersTimeout` / `requestTimeout`: Node answers 408 and closes when headers or the whole request take
 *   longer; `connectionsCheckingInterval` is how often it looks (Node's default, 30 s, would let a 10 s limit
 *   run to 40 s), so it is set to a tenth of the shorter limit.
 * - `keepAliveTimeout`: an idle keep-alive connection closes after this.
 * - `server.timeout`: any socket silent both ways for this long is destroyed (Node's default is never); the
 *   live counter's 15 s heartbeat keeps its streams well inside it.
 * - `maxConnections`: sockets beyond it are closed on arrival, before they cost more than the accept.
 * See https://nodejs.org/api/http.html#httpcreateserveroptions-requestlistener and #servertimeout.
 * @example const { server } = await startHttpServer(app.fetch, { host: "127.0.0.1", port: 3000, limits })
 */
export function startHttpServer(
  fetch: (request: Request) => Response | Promise<Response>,
  options: { host: string; port: number; limits: HttpServerLimits },
): Promise<RunningHttpServer> {
  const { limits } = options;
  const checkEveryMs = Math.max(
    100,
    Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 10),
  );
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch,
        hostname: options.host,
        port: options.port,
        serverOptions: {
          headersTimeout: limits.headersTimeoutMs,
          requestTimeout: limits.requestTimeoutMs,
          keepAliveTimeout: limits.keepAliveTimeoutMs,
          connectionsCheckingInterval: checkEveryMs,
        },
      },
      (address) => resolve({ server: server as Server, address }),
    ) as Server;
    server.timeout = limits.idleTimeoutMs;
    server.maxConnections = limits.maxConnections;
    server.once("error", reject);
  });
}
