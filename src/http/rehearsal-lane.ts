import type { MiddlewareHandler } from "hono";
import { inRehearsalLane } from "../db/rehearsal-lane";
import {
  isRehearsalMarker,
  REHEARSAL_HEADER,
  REHEARSAL_RUN_HEADER,
  trackRehearsalRequest,
} from "../domain/rehearsal-marker";

/**
 * Serves the Stress Test's own requests (those carrying this process's rehearsal secret) in the
 * rehearsal lane, where their database statements wait behind live ones; every other request is
 * untouched. A wrong or missing secret is simply live traffic: the header grants no privilege.
 * @example app.use("*", rehearsalLane)
 */
export const rehearsalLane: MiddlewareHandler = async (c, next) => {
  if (!isRehearsalMarker(c.req.header(REHEARSAL_HEADER))) return next();
  const done = trackRehearsalRequest(c.req.header(REHEARSAL_RUN_HEADER) ?? "");
  try {
    await inRehearsalLane(() => next());
  } finally {
    done();
  }
};
