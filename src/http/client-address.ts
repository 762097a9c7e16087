import type { Context, MiddlewareHandler } from "hono";

declare module "hono" {
  interface ContextVariableMap {
    /** Set for every request by `clientAddressMiddleware`. */
    clientAddress: string;
  }
}

/**
 * Who sent a request, for per-client limits. The socket's peer address, unless the app sits behind
 * `trustProxy` reverse proxies (TRUST_PROXY): each appends the address it saw to X-Forwarded-For, so the
 * client is the entry `trustProxy` places from the right. Entries further left were written by the client
 * itself and are never believed; with `trustProxy` 0 the header is ignored altogether.
 * Requests with no socket (tests calling `app.request`) count as one client, "local".
 * @example clientAddress(c, 1) // "203.0.113.9" from "X-Forwarded-For: 1.2.3.4, 203.0.113.9"
 */
export function clientAddress(c: Context, trustProxy: number): string {
  const peer = socketAddress(c) ?? "local";
  if (trustProxy === 0) return peer;
  const forwarded = (c.req.header("x-forwarded-for") ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  return forwarded[forwarded.length - trustProxy] ?? peer;
}

/** Whether the request reached us over https, directly or through a trusted proxy that says so. */
export function cameOverHttps(c: Context, trustProxy: number): boolean {
  if (new URL(c.req.url).protocol === "https:") return true;
  return trustProxy > 0 && c.req.header("x-forwarded-proto")?.split(",")[0]?.trim() === "https";
}

/** @hono/node-server puts the Node request (and its socket) in the context's env. */
function socketAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

/**
 * Puts the client's address on every request (`c.var.clientAddress`), so handlers deep in the app
 * (sign-in) need not know how many proxies are trusted.
 * @example app.use("*", clientAddressMiddleware(config.trustProxy))
 */
export function clientAddressMiddleware(trustProxy: number): MiddlewareHandler {
  return async (c, next) => {
    c.set("clientAddress", clientAddress(c, trustProxy));
    await next();
  };
}

/** The client's address as the middleware found it (the socket's, where the middleware did not run). */
export const clientOf = (c: Context): string => c.get("clientAddress") ?? clientAddress(c, 0);
