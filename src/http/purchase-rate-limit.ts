import type { Context, MiddlewareHandler } from "hono";
import { LRUCache } from "lru-cache";
import { RateLimited } from "../domain/errors";
import { isRehearsalMarker, REHEARSAL_HEADER } from "../domain/stress-test";
import { clientAddress } from "./client-address";

export interface RateLimit {
  /** Tokens a client gets back per second. */
  perSecond: number;
  /** Tokens a client may spend at once (the bucket's size). */
  burst: number;
  /** The clock, injectable for tests. */
  now?: () => number;
}

/** Clients remembered at once: ~100 bytes each, so ~5 MB at most; an evicted client starts afresh. */
export const RATE_LIMIT_CLIENTS = 50_000;

/**
 * A token bucket per client, in an LRU of bounded size: each client may spend `burst` at once and gets
 * `perSecond` back every second.
 * @example new ClientRateLimiter({ perSecond: 10, burst: 20 }).take("203.0.113.9") // 0: go ahead
 */
export class ClientRateLimiter {
  readonly #buckets: LRUCache<string, { tokens: number; at: number }>;
  readonly #now: () => number;

  constructor(
    private readonly limit: RateLimit,
    capacity = RATE_LIMIT_CLIENTS,
  ) {
    this.#buckets = new LRUCache({ max: capacity });
    this.#now = limit.now ?? Date.now;
  }

  /** Takes a token for `client`: 0 when it had one, else the whole seconds until it will. */
  take(client: string): number {
    const now = this.#now();
    const { perSecond, burst } = this.limit;
    const bucket = this.#buckets.get(client) ?? { tokens: burst, at: now };
    const tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    if (tokens >= 1) {
      this.#buckets.set(client, { tokens: tokens - 1, at: now });
      return 0;
    }
    this.#buckets.set(client, { tokens, at: now });
    return Math.max(1, Math.ceil((1 - tokens) / perSecond));
  }

  get size(): number {
    return this.#buckets.size;
  }
}

/**
 * Limits purchases per client (see client-address.ts for who a client is) and answers the rest with
 * RateLimited (429 + Retry-After) through `respond`, so the API answers JSON and the fan page HTML.
 * The Stress Test's own requests are not counted: they carry this process's rehearsal secret
 * (src/domain/stress-test/rehearsal-marker.ts), which no outside client can know.
 * @example app.use("/api/drops/:ref/purchase", purchaseRateLimit(limiter, 0, errorJson))
 */
export function purchaseRateLimit(
  limiter: ClientRateLimiter,
  trustProxy: number,
  respond: (c: Context, error: RateLimited) => Response | Promise<Response>,
): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== "POST" || isRehearsalMarker(c.req.header(REHEARSAL_HEADER))) return next();
    const wait = limiter.take(clientAddress(c, trustProxy));
    if (wait > 0) return respond(c, new RateLimited(wait));
    return next();
  };
}
