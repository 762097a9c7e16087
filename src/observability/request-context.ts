import { AsyncLocalStorage } from "node:async_hooks";
import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { type RequestIdVariables, requestId } from "hono/request-id";
import type { Logger } from "./logger";

/** What is known about the request being served, wherever in its call chain it is asked. */
export interface RequestScope {
  id: string;
  /** Statements tried again while serving it (see RetryPolicy.onRetry), for the purchase log line. */
  retries: number;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** The request being served; undefined outside one (start-up, timers). */
export const currentRequest = (): RequestScope | undefined => storage.getStore();

/**
 * Gives every request an id (a client's `X-Request-Id` when it is 1-128 word characters, `-` or `=`, else a
 * new UUID), echoes it in the response's `X-Request-Id`, and makes it the `reqId` of every log line written
 * while the request is served, however deep (see `currentRequestId`). At debug level, one line per request.
 * @example app.use("*", requestContext(log))
 */
export function requestContext(log: Logger): MiddlewareHandler {
  const assignId = requestId({ headerName: "X-Request-Id", limitLength: 128 });
  const scoped = createMiddleware<{ Variables: RequestIdVariables }>((c, next) =>
    storage.run({ id: c.var.requestId, retries: 0 }, async () => {
      if (!log.isLevelEnabled("debug")) return next();
      const startedAt = performance.now();
      await next();
      log.debug(
        { method: c.req.method, path: c.req.path, status: c.res.status, ms: elapsed(startedAt) },
        "request",
      );
    }),
  );
  return (c, next) =>
    assignId(c, async () => {
      await scoped(c, next);
    });
}

/** Milliseconds since `startedAt`, to a tenth. */
export const elapsed = (startedAt: number): number => Math.round((performance.now() - startedAt) * 10) / 10;
