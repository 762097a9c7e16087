import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { PENDING_REQUEST_OVERHEAD_BYTES, PendingBodies } from "../src/process/pending-bodies";

/**
 * The pending-bodies budget (src/process/pending-bodies.ts) on a clock the test moves: which body is cut
 * when the total is over budget. The Node capacity suite (node-capacity.test.ts) drives it over real
 * sockets; this one pins the order without depending on how fast those sockets are served.
 */
const LENGTH = 16_000;
const CHARGE = LENGTH + PENDING_REQUEST_OVERHEAD_BYTES;
const rawHeaders = [
  "Host",
  "localhost",
  "Content-Type",
  "application/json",
  "Content-Length",
  String(LENGTH),
];
/** The head's bytes as a client sends them: request line, header lines, blank line. */
const HEAD = Buffer.byteLength(
  `POST /api/drops/tee/purchase HTTP/1.1\r\n${rawHeaders
    .flatMap((_, i) => (i % 2 === 0 ? [`${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`] : []))
    .join("")}\r\n`,
);

type Socket = { bytesRead: number; destroyed: boolean; destroy: () => void };
const newSocket = (): Socket => ({ bytesRead: 0, destroyed: false, destroy: () => undefined });

/** A POST arriving on `socket`: its head and `withHead` body bytes in one packet, as a client sends them. */
function post(socket: Socket, withHead: number) {
  socket.bytesRead += HEAD + withHead;
  const req = Object.assign(new EventEmitter(), {
    method: "POST",
    url: "/api/drops/tee/purchase",
    httpVersion: "1.1",
    rawHeaders,
    headers: { "content-length": String(LENGTH) },
    socket,
    complete: false,
  });
  let status: number | undefined;
  const res = Object.assign(new EventEmitter(), {
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
  });
  return {
    req: req as unknown as IncomingMessage,
    res: res as unknown as ServerResponse,
    /** More body bytes arriving on the socket. */
    receive: (bytes: number) => {
      socket.bytesRead += bytes;
    },
    cut: () => status === 408,
  };
}

describe("the pending-bodies budget", () => {
  it("cuts the slowest body first, bytes per second since its head", () => {
    let now = 0;
    const bodies = new PendingBodies({ maxBytes: 2 * CHARGE, chunkedChargeBytes: 16_384, now: () => now });
    const [slow, fast] = [post(newSocket(), 1), post(newSocket(), 1)];
    bodies.track(slow.req, slow.res);
    bodies.track(fast.req, fast.res);
    now = 5_000;
    slow.receive(10);
    fast.receive(8_000);
    const third = post(newSocket(), 1);
    bodies.track(third.req, third.res);
    now = 6_000;
    third.receive(4_000);
    bodies.check();
    expect([slow.cut(), fast.cut(), third.cut()]).toEqual([true, false, false]);
    expect(bodies.cut).toBe(1);
  });

  it("counts the body bytes that came in the head's packet: a steady upload is not cut for trickles", () => {
    let now = 0;
    const bodies = new PendingBodies({ maxBytes: 2 * CHARGE, chunkedChargeBytes: 16_384, now: () => now });
    const trickles = [post(newSocket(), 1), post(newSocket(), 1)];
    for (const trickle of trickles) bodies.track(trickle.req, trickle.res);
    // Seconds later the trickles have sent a space each; a steady upload's head arrives with 2,000 bytes.
    now = 5_000;
    for (const trickle of trickles) trickle.receive(1);
    const steady = post(newSocket(), 2_000);
    bodies.track(steady.req, steady.res);
    bodies.check();
    expect(steady.cut()).toBe(false);
    expect(trickles.filter((t) => t.cut())).toHaveLength(1);
  });

  it("on a kept-alive connection, the body begins after this request's head, not at the connection's start", () => {
    let now = 0;
    const bodies = new PendingBodies({ maxBytes: 2 * CHARGE, chunkedChargeBytes: 16_384, now: () => now });
    // A connection that has sent a big request and had its answer: those bytes are not this body's.
    const kept = newSocket();
    const earlier = post(kept, LENGTH);
    bodies.track(earlier.req, earlier.res);
    (earlier.req as unknown as EventEmitter).emit("end");
    (earlier.res as unknown as EventEmitter).emit("finish");
    const old = [post(newSocket(), 1), post(newSocket(), 1)];
    for (const body of old) bodies.track(body.req, body.res);
    now = 5_000;
    for (const body of old) body.receive(50);
    // The kept-alive connection's next body is a trickle: its head and one byte. It is the slowest.
    const trickle = post(kept, 1);
    bodies.track(trickle.req, trickle.res);
    bodies.check();
    expect(trickle.cut()).toBe(true);
    expect(old.filter((b) => b.cut())).toEqual([]);
  });

  it("new heads flooding in with no body are cut before an upload under way", () => {
    let now = 0;
    const bodies = new PendingBodies({ maxBytes: 3 * CHARGE, chunkedChargeBytes: 16_384, now: () => now });
    const upload = post(newSocket(), 1_000);
    bodies.track(upload.req, upload.res);
    now = 3_000;
    upload.receive(3_000);
    const flood = Array.from({ length: 4 }, () => post(newSocket(), 0));
    for (const head of flood) bodies.track(head.req, head.res);
    bodies.check();
    expect(upload.cut()).toBe(false);
    expect(flood.filter((h) => h.cut())).toHaveLength(2);
  });
});
