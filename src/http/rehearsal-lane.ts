import type { MiddlewareHandler } from "hono";
import { inRehearsalLane } from "../db/rehearsal-lane";
import {
  isRehearsalMarker,
  REHEARSAL_HEADER,
  REHEARSAL_RUN_HEADER,
  trackRehearsalRequest,
} from "../domain/rehearsal-marker";
import { RehearsalGate } from "./rehearsal-gate";

/** One per process: the event loop it watches is the process's own. */
const gate = new RehearsalGate();

/**
 * Serves the Stress Test's own requests (those carrying this process's rehearsal secret) in the
 * rehearsal lane: admitted only while the event loop has room (RehearsalGate), and with their database
 * statements behind live ones (SerialQueue's lanes, RehearsalShare); every other request is untouched. A wrong or missing secret is simply live traffic: the header grants no privilege.
 * @example app.use("*", rehearsalLane)
 */
export const rehearsalLane: MiddlewareHandler = async (c, next) => {
  if (!isRehearsalMarker(c.req.header(REHEARSAL_HEADER))) return next();
  const done = trackRehearsalRequest(c.req.header(REHEARSAL_RUN_HEADER) ?? "");
  try {
    await gate.admit();
    await inRehearsalLane(() => next());
  } finally {
    done();
  }
};
