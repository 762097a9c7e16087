/**
 * What is still served in the connection reserve, beyond the cap: health checks (a load balancer that
 * cannot reach them takes the process out while it is merely full) and purchases, the promise. Anything
 * else, new live-counter streams included, is answered 503 with Retry-After at once and its connection
 * closed, so the reserve holds only short-lived connections (docs/capacity.md).
 */
const RESERVED: readonly [method: string, path: RegExp][] = [
  ["GET", /^\/(healthz|readyz)$/],
  ["POST", /^\/api\/drops\/[^/]+\/purchase$/],
  ["POST", /^\/d\/[^/]+\/buy$/],
  // Paying for a held unit takes the money: a hold must not expire because the process was full.
  ["POST", /^\/api\/orders\/[^/]+\/pay$/],
  ["POST", /^\/d\/[^/]+\/orders\/[^/]+\/pay$/],
];

/** Whether a request may use the reserve. @example isReservedRequest("GET", "/healthz") // true */
export function isReservedRequest(method: string, path: string): boolean {
  return RESERVED.some(([m, pattern]) => m === method && pattern.test(path));
}

/** The answer beyond the cap for anything not reserved: busy, come back shortly, on a new connection. */
export function busyAtCapacity(): Response {
  return new Response(
    JSON.stringify({
      error: "busy",
      message:
        "The server is at its connection limit; health checks and purchases are still served. Try again shortly.",
    }),
    {
      status: 503,
      headers: { "Content-Type": "application/json", "Retry-After": "5", Connection: "close" },
    },
  );
}
