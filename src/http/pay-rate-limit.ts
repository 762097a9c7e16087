import type { Context, MiddlewareHandler } from "hono";
import { RateLimited } from "../domain/errors";
import { isRehearsalMarker, REHEARSAL_HEADER } from "../domain/stress-test";
import { clientAddress } from "./client-address";
import { ClientRateLimiter, type RateLimit } from "./purchase-rate-limit";

/** Payment attempts allowed: per client address (see client-address.ts) and per order. */
export interface PayRateLimits {
  perClient: RateLimit;
  perOrder: RateLimit;
}

/**
 * Limits payment attempts (POST .../pay) per order and per client, 429 + Retry-After beyond either: a
 * script trying cards on one hold, or declined cards across many holds, is slowed to the limit instead of
 * costing the provider (and the test provider's memory) without end (issue 15 §2). The order comes from
 * the path (`orderParam`); an unknown id counts too, so probing ids is limited the same way. The Stress
 * Test's own checkout traffic carries this process's rehearsal secret and is not counted.
 * Each door (the API, the fan page) gets its own middleware from the one returned function, so they share
 * each client's and each order's buckets.
 * @example const limit = payRateLimit(limits, 0); app.use("/api/orders/:id/pay", limit("id", errorJson))
 */
export function payRateLimit(limits: PayRateLimits, trustProxy: number) {
  const perClient = new ClientRateLimiter(limits.perClient);
  const perOrder = new ClientRateLimiter(limits.perOrder);
  return (
    orderParam: string,
    respond: (c: Context, error: RateLimited) => Response | Promise<Response>,
  ): MiddlewareHandler =>
    async (c, next) => {
      if (c.req.method !== "POST" || isRehearsalMarker(c.req.header(REHEARSAL_HEADER))) return next();
      const orderWait = perOrder.take(c.req.param(orderParam) ?? "");
      if (orderWait > 0) {
        return respond(c, new RateLimited(orderWait, "Too many payment attempts on this order."));
      }
      const clientWait = perClient.take(clientAddress(c, trustProxy));
      if (clientWait > 0) return respond(c, new RateLimited(clientWait));
      return next();
    };
}
