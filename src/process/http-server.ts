import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { defaultConnectionReserve, type HttpServerLimits } from "../config";
import { servingDetached } from "./detached-response";
import { PendingBodies } from "./pending-bodies";
import { busyAtCapacity, isReservedRequest } from "./reserve";

export interface RunningHttpServer {
  server: Server;
  /** The address as bound, e.g. { address: "127.0.0.1", port: 3000 }. */
  address: AddressInfo;
  /** Request bodies still arriving, and what they are charged against HTTP_PENDING_BODIES_MAX_BYTES. */
  pendingBodies: PendingBodies;
}

/** What a chunked body is charged while it arrives: the app's largest accepted body (an upload). */
const CHUNKED_BODY_CHARGE_BYTES = 2 * 1024 * 1024;
const DEFAULT_PENDING_BODIES_MAX_BYTES = 32 * 1024 * 1024;

/**
 * Starts the Node HTTP server for `fetch` with every client-facing wait bounded, so silent or slow clients
 * cannot hold sockets (and file descriptors) for long:
 * - `headersTimeout` / `requestTimeout`: Node answers 408 and closes when headers or the whole request take
 *   longer; `connectionsCheckingInterval` is how often it looks (Node's default, 30 s, would let a 10 s limit
 *   run to 40 s), so it is set to a tenth of the shorter limit.
 * - `keepAliveTimeout`: an idle keep-alive connection closes after this.
 * - `server.timeout`: any socket silent both ways for this long is destroyed (Node's default is never); the
 *   live counter's 15 s heartbeat keeps its streams well inside it.
 * - `maxConnections` + `connectionReserve`: beyond the cap only health checks and purchases are served
 *   (anything else is answered 503 at once); sockets beyond cap + reserve are closed on arrival.
 * - `pendingBodiesMaxBytes`: what bodies still arriving may hold in total; the slowest are cut beyond it.
 * See https://nodejs.org/api/http.html#httpcreateserveroptions-requestlistener and #servertimeout.
 * @example const { server } = await startHttpServer(app.fetch, { host: "127.0.0.1", port: 3000, limits })
 */
export function startHttpServer(
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>,
  options: { host: string; port: number; limits: HttpServerLimits },
): Promise<RunningHttpServer> {
  const { limits } = options;
  const checkEveryMs = Math.max(
    100,
    Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 10),
  );
  const reserve = limits.connectionReserve ?? defaultConnectionReserve(limits.maxConnections);
  const pendingBodies = new PendingBodies({
    maxBytes: limits.pendingBodiesMaxBytes ?? DEFAULT_PENDING_BODIES_MAX_BYTES,
    chunkedChargeBytes: CHUNKED_BODY_CHARGE_BYTES,
  });
  let connections = 0;
  const detached = servingDetached(fetch);
  const gated = (request: Request, env: object) => {
    if (connections > limits.maxConnections) {
      const { pathname } = new URL(request.url);
      if (!isReservedRequest(request.method, pathname)) return busyAtCapacity();
    }
    return detached(request, env);
  };
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: gated,
        hostname: options.host,
        port: options.port,
        serverOptions: {
          headersTimeout: limits.headersTimeoutMs,
          requestTimeout: limits.requestTimeoutMs,
          keepAliveTimeout: limits.keepAliveTimeoutMs,
          connectionsCheckingInterval: checkEveryMs,
        },
      },
      (address) => resolve({ server: server as Server, address, pendingBodies }),
    ) as Server;
    server.timeout = limits.idleTimeoutMs;
    server.maxConnections = limits.maxConnections + reserve;
    server.on("connection", (socket) => {
      connections++;
      socket.once("close", () => connections--);
    });
    server.on("request", (req, res) => pendingBodies.track(req, res));
    server.once("error", reject);
  });
}
