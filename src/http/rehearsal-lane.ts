import type { MiddlewareHandler } from "hono";
import { inRehearsalLane } from "../db/rehearsal-lane";
import { Busy } from "../domain/errors";
import {
  isRehearsalMarker,
  isRehearsalRunCancelled,
  REHEARSAL_HEADER,
  REHEARSAL_RUN_HEADER,
  trackRehearsalRequest,
} from "../domain/stress-test";
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
  const runId = c.req.header(REHEARSAL_RUN_HEADER) ?? "";
  const done = trackRehearsalRequest(runId);
  try {
    await gate.admit();
    // A cancelled run's client has already cut its purchases: answer them without doing the work (its
    // reads, e.g. of the drop before the first purchase, still get their answer).
    if (c.req.method === "POST" && isRehearsalRunCancelled(runId)) throw new Busy();
    await inRehearsalLane(() => next());
  } finally {
    done();
  }
};
