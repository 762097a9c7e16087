import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";

/** What is known about the request being served, wherever in its call chain it is asked. */
export interface RequestScope {
  id: string;
  /** Statements tried again while serving it (see RetryPolicy.onRetry), for the purchase log line. */
  retries: number;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** The request being served; undefined outside one (start-up, timers). */
export const currentRequest = (): RequestScope | undefined => storage.getStore();

/** A client's id is kept when it is 1-128 word characters, `-` or `=` (Hono's request-id rule, shorter). */
const WELL_FORMED_ID = /^[\w\-=]{1,128}$/;

/**
 * Unique per process start and cheap per request: a random prefix for this process and a counter
 * (measured: a UUID per request plus Hono's request-id middleware cost about as much as the rest of a
 * trivial request under load).
 */
const processPrefix = randomBytes(6).toString("base64url");
let counter = 0;
const newRequestId = () => `${processPrefix}-${(counter++).toString(36)}`;

/**
 * Gives every request an id (the client's `X-Request-Id` when well formed, else a new one), echoes it in
 * the response's `X-Request-Id`, and makes it the `reqId` of every log line written while the request is
 * served, however deep (see `currentRequest`). At debug level, one line per request.
 * @example app.use("*", requestContext(log))
 */
export function requestContext(log: Logger): MiddlewareHandler {
  return (c, next) => {
    const given = c.req.header("x-request-id");
    const id = given !== undefined && WELL_FORMED_ID.test(given) ? given : newRequestId();
    c.header("X-Request-Id", id);
    return storage.run({ id, retries: 0 }, async () => {
      if (!log.isLevelEnabled("debug")) return next();
      const startedAt = performance.now();
      await next();
      log.debug(
        { method: c.req.method, path: c.req.path, status: c.res.status, ms: elapsed(startedAt) },
        "request",
      );
    });
  };
}

/** Milliseconds since `startedAt`, to a tenth. */
export const elapsed = (startedAt: number): number => Math.round((performance.now() - startedAt) * 10) / 10;
