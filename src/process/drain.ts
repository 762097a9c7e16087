import { setTimeout as sleep } from "node:timers/promises";
import type { DrainTimes } from "../config";
import type { Database } from "../db/database";
import type { Logger } from "../observability/logger";
import type { DrainableServer } from "../serve";
import type { Lifecycle } from "./lifecycle";

const IDLE_CLOSE_DELAY_MS = 250;

/**
 * Takes the process out of service without dropping anything it accepted:
 * 1. at once: /readyz answers 503, every answer says `Connection: close`, live-counter streams end with a
 *    retry hint (EventSource reconnects, through the load balancer, to another process);
 * 2. for `graceMs`: requests are still served, while the load balancer notices /readyz and stops sending;
 * 3. then the listening socket closes (new connections are refused, never reset mid-request) and idle
 *    keep-alive sockets close; requests in flight (purchases included) finish and are answered;
 * 4. at `timeoutMs` after the start, whatever is still open is cut; then the database pool closes.
 * @example process.once("SIGTERM", () => void drain({ server, lifecycle, db, log, times }).then(() => process.exit(0)))
 */
export async function drain(deps: {
  server: DrainableServer;
  lifecycle: Lifecycle;
  db: Database;
  log: Logger;
  times: DrainTimes;
}): Promise<void> {
  const { server, lifecycle, db, log, times } = deps;
  lifecycle.drain();
  log.info(
    { graceMs: times.graceMs, timeoutMs: times.timeoutMs },
    "draining: not ready, finishing in-flight requests",
  );
  await sleep(times.graceMs);
  // Idle keep-alive sockets are closed a little after the listener, once requests on their way over
  // sockets accepted a moment ago have arrived (they are then busy and finish normally).
  const closed = server.stopAccepting();
  await sleep(IDLE_CLOSE_DELAY_MS);
  server.closeIdleConnections();
  const finished = await Promise.race([
    closed.then(() => true),
    sleep(Math.max(0, times.timeoutMs - times.graceMs), false, { ref: false }),
  ]);
  if (!finished) {
    log.warn("drain timeout: closing the connections still open");
    server.closeAllConnections();
    await closed;
  }
  // Work the drain started that still needs the database (cancelled Stress Tests writing their receipts).
  await lifecycle.settled();
  await db.close();
  log.info("drained: every accepted request answered, database closed");
}
