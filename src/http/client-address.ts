import { isIPv4, isIPv6 } from "node:net";
import type { Context, MiddlewareHandler } from "hono";

declare module "hono" {
  interface ContextVariableMap {
    /** Set for every request by `clientAddressMiddleware`: the client's key (see `clientKey`). */
    clientAddress: string;
  }
}

/**
 * The key per-client limits count under: an IPv4 address as it is, an IPv6 address by its /64 network.
 * An ISP hands one subscriber a whole /64 (RFC 6177; SLAAC and privacy addresses, RFC 8981, pick any
 * address inside it at will), so one machine can rotate through 2^64 addresses: counting each on its own
 * would let it reset every limit at each request. An IPv4-mapped address (::ffff:1.2.3.4, what a
 * dual-stack socket reports for IPv4) is the IPv4 address. Anything else (a test's "local") is kept as is.
 * @example clientKey("2001:db8:1:2:a:b:c:d") // "2001:db8:1:2::/64"
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped && isIPv4(mapped)) return mapped;
  const zoneless = address.replace(/%.*$/, "");
  if (!isIPv6(zoneless)) return address;
  const groups = ipv6Groups(zoneless).slice(0, 4);
  return `${groups.map((g) => g.toString(16)).join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address ("::" expanded, a dotted IPv4 tail as two groups). */
function ipv6Groups(address: string): number[] {
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const text = dotted
    ? `${address.slice(0, dotted.index)}${((Number(dotted[1]) << 8) | Number(dotted[2])).toString(16)}:${((Number(dotted[3]) << 8) | Number(dotted[4])).toString(16)}`
    : address;
  const [head = "", tail] = text.split("::");
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * Who sent a request, for per-client limits. The socket's peer address, unless the app sits behind
 * `trustProxy` reverse proxies (TRUST_PROXY): each appends the address it saw to X-Forwarded-For, so the
 * client is the entry `trustProxy` places from the right. Entries further left were written by the client
 * itself and are never believed; with `trustProxy` 0 the header is ignored altogether.
 * Requests with no socket (tests calling `app.request`) count as one client, "local". The answer is the
 * client's key for limits: IPv6 grouped by /64 (see `clientKey`).
 * @example clientAddress(c, 1) // "203.0.113.9" from "X-Forwarded-For: 1.2.3.4, 203.0.113.9"
 */
export function clientAddress(c: Context, trustProxy: number): string {
  const peer = socketAddress(c) ?? "local";
  if (trustProxy === 0) return clientKey(peer);
  const forwarded = (c.req.header("x-forwarded-for") ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  return clientKey(forwarded[forwarded.length - trustProxy] ?? peer);
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
