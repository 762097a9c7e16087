import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import {
  JUDGED_AFTER_MS,
  PENDING_REQUEST_OVERHEAD_BYTES,
  PendingBodies,
} from "../src/process/pending-bodies";

/**
 * The pending-bodies budget (src/process/pending-bodies.ts) on a clock the test moves: which body is cut
 * when the total is over budget. The Node capacity suite (node-capacity.test.ts) drives it over real
 * sockets; this one pins the order without depending on how fast those sockets are served.
 */
function request(length: number) {
  const socket = { bytesRead: 300, destroyed: false, destroy: () => undefined };
  const req = Object.assign(new EventEmitter(), {
    headers: { "content-length": String(length) },
    socket,
    complete: false,
  });
  let status: number | undefined;
  const res = {
    headersSent: false,
    writableEnded: false,
    writeHead(code: number) {
      status = code;
      this.headersSent = true;
    },
    end(_body: string, done?: () => void) {
      this.writableEnded = true;
      done?.();
    },
  };
  return {
    req: req as unknown as IncomingMessage,
    res: res as unknown as ServerResponse,
    /** Body bytes arriving on the socket. */
    receive: (bytes: number) => {
      socket.bytesRead += bytes;
    },
    cut: () => status === 408,
  };
}

describe("the pending-bodies budget", () => {
  const length = 16_000;
  const charge = length + PENDING_REQUEST_OVERHEAD_BYTES;

  it("cuts the slowest body first, bytes per second since its head", () => {
    let now = 0;
    const bodies = new PendingBodies({ maxBytes: 2 * charge, chunkedChargeBytes: 16_384, now: () => now });
    const [slow, fast, third] = [request(length), request(length), request(length)];
    bodies.track(slow.req, slow.res);
    bodies.track(fast.req, fast.res);
    now = 5_000;
    slow.receive(10);
    fast.receive(8_000);
    bodies.track(third.req, third.res);
    now = 5_000 + JUDGED_AFTER_MS;
    third.receive(4_000);
    bodies.check();
    expect([slow.cut(), fast.cut(), third.cut()]).toEqual([true, false, false]);
    expect(bodies.cut).toBe(1);
  });

  it("judges a body that arrived a moment ago last: its first chunk came with its head and counts as nothing", () => {
    let now = 0;
    const bodies = new PendingBodies({ maxBytes: 2 * charge, chunkedChargeBytes: 16_384, now: () => now });
    const trickles = [request(length), request(length)];
    for (const trickle of trickles) bodies.track(trickle.req, trickle.res);
    // Seconds later, the trickles have sent a space each; a steady upload's head (and first chunk) arrives.
    now = 5_000;
    for (const trickle of trickles) trickle.receive(2);
    const steady = request(length);
    bodies.track(steady.req, steady.res);
    bodies.check();
    expect(steady.cut()).toBe(false);
    expect(trickles.filter((t) => t.cut())).toHaveLength(1);
  });
});
