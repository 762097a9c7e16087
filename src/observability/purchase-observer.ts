import { ConnectionUnavailable } from "../db/database";
import { DomainError } from "../domain/errors";
import type { Shop } from "../domain/shop";
import type { Logger } from "./logger";
import type { Metrics } from "./metrics";
import { currentRequest, elapsed } from "./request-context";

/** A purchase's outcome as metrics and logs name it: placed, replay, or the domain error's code. */
export function purchaseOutcome(error: unknown): string {
  if (error instanceof DomainError) return error.code;
  return error instanceof ConnectionUnavailable ? "busy" : "error";
}

/**
 * The shop with its purchases counted and timed (Prometheus) and, at debug level, one log line each:
 * drop, outcome, attempts and milliseconds. Everything else passes through untouched.
 * @example const shop = observePurchases(createShop(db), metrics, log)
 */
export function observePurchases(shop: Shop, metrics: Metrics, log: Logger): Shop {
  const buy = shop.purchase;
  return {
    ...shop,
    async purchase(ref, request) {
      const startedAt = performance.now();
      const retriesBefore = currentRequest()?.retries ?? 0;
      let outcome = "error";
      try {
        const result = await buy(ref, request);
        outcome = result.replay ? "replay" : "placed";
        return result;
      } catch (error) {
        outcome = purchaseOutcome(error);
        throw error;
      } finally {
        const ms = elapsed(startedAt);
        metrics.countPurchase(outcome, ms / 1000);
        if (log.isLevelEnabled("debug")) {
          const attempts = 1 + (currentRequest()?.retries ?? 0) - retriesBefore;
          log.debug({ drop: ref, outcome, attempts, ms }, "purchase");
        }
      }
    },
  };
}

/**
 * The retry policy's `onRetry`: counts the retry by kind, and on the request being served, for its
 * purchase log line's attempts.
 */
export function countRetries(metrics: Metrics): (error: unknown) => void {
  return (error) => {
    metrics.countRetry(error);
    const request = currentRequest();
    if (request) request.retries++;
  };
}
