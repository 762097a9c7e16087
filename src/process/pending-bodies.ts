import type { IncomingMessage, ServerResponse } from "node:http";

/** What a pending body is charged beyond its declared length: the request's own objects while it waits (measured 26.6 KiB on Node 20). */
export const PENDING_REQUEST_OVERHEAD_BYTES = 32 * 1024;

interface Pending {
  req: IncomingMessage;
  res: ServerResponse;
  since: number;
  /** The socket's bytesRead where the request's body began: what came after it is body. */
  startBytes: number;
  charge: number;
}

export interface PendingBodiesOptions {
  /** The most that request bodies still arriving may hold in total (HTTP_PENDING_BODIES_MAX_BYTES). */
  maxBytes: number;
  /** What a chunked body (no declared length) is charged: the largest body the app accepts. */
  chunkedChargeBytes: number;
  /** The time, in ms, on a monotonic clock. */
  now?: () => number;
}

/**
 * Bounds what request bodies still on their way may hold in total. Each is charged what it may come to
 * hold (its declared length, plus the request's own objects); when the total is over the budget, the
 * slowest (fewest body bytes per second since its head arrived) are answered 408 and closed until it is
 * not. A body trickled a byte at a time then costs its sender the connection, not the process its heap;
 * a body arriving at any real speed is complete before it is ever looked at (checks run a tick later).
 * @example const bodies = new PendingBodies({ maxBytes: 32 << 20, chunkedChargeBytes: 16384 }); server.on("request", (req, res) => bodies.track(req, res))
 */
export class PendingBodies {
  readonly #pending = new Set<Pending>();
  readonly #options: PendingBodiesOptions;
  readonly #now: () => number;
  #checkQueued = false;
  /** Per socket, its bytesRead when its last answer was sent: where a kept-alive request's head begins. */
  readonly #answeredUpTo = new WeakMap<object, number>();
  #total = 0;
  /** Bodies cut so far, for tests and logs. */
  cut = 0;

  constructor(options: PendingBodiesOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Starts watching a request whose body has not arrived yet (GET and body-less requests are ignored). */
  track(req: IncomingMessage, res: ServerResponse): void {
    const { socket } = req;
    // Where this request's head began on its socket: 0 on a new connection, else where the last answer ended.
    const headStart = this.#answeredUpTo.get(socket) ?? 0;
    res.once("finish", () => this.#answeredUpTo.set(socket, socket.bytesRead));
    const declared = req.headers["content-length"];
    const chunked = req.headers["transfer-encoding"] !== undefined;
    if (!chunked && (declared === undefined || Number(declared) === 0)) return;
    const length = chunked ? this.#options.chunkedChargeBytes : Number(declared) || 0;
    const entry: Pending = {
      req,
      res,
      since: this.#now(),
      // The body's first chunk often arrives in the packet of its head, already counted in bytesRead when
      // the request is seen: counted as nothing, it made a steady upload read 0 B/s and be cut before
      // trickles seconds old (seen at load 13). So the body begins where the head ends.
      startBytes: Math.min(socket.bytesRead, headStart + headBytes(req)),
      charge: length + PENDING_REQUEST_OVERHEAD_BYTES,
    };
    this.#pending.add(entry);
    this.#total += entry.charge;
    const forget = () => this.#forget(entry);
    req.once("end", forget);
    req.once("close", forget);
    if (this.#total > this.#options.maxBytes && !this.#checkQueued) {
      // A tick later, bodies that came with their head are complete and no longer count.
      this.#checkQueued = true;
      setImmediate(() => {
        this.#checkQueued = false;
        this.check();
      });
    }
  }

  /** The bytes charged to bodies still pending. */
  get totalBytes(): number {
    return this.#total;
  }

  /** Cuts the slowest pending bodies while the total is over the budget. */
  check(): void {
    // Answered already (a 413 judged by the declared length, a 429): what is left of the body is
    // discarded as it comes, and a bogus length must not make real bodies look over the budget.
    for (const entry of this.#pending)
      if (entry.req.complete || entry.req.socket.destroyed || entry.res.headersSent) this.#forget(entry);
    if (this.#total <= this.#options.maxBytes) return;
    const now = this.#now();
    // Body bytes per second since the head, over at least a second, so a request a moment old is not
    // judged on one instant.
    const rate = (entry: Pending) =>
      (entry.req.socket.bytesRead - entry.startBytes) / Math.max(1, (now - entry.since) / 1000);
    const slowestFirst = [...this.#pending].sort((a, b) => rate(a) - rate(b));
    for (const entry of slowestFirst) {
      if (this.#total <= this.#options.maxBytes) break;
      this.#cutOff(entry);
    }
  }

  #forget(entry: Pending): void {
    if (this.#pending.delete(entry)) this.#total -= entry.charge;
  }

  #cutOff(entry: Pending): void {
    this.#forget(entry);
    this.cut++;
    const { res, req } = entry;
    if (res.headersSent || res.writableEnded) {
      req.socket.destroy();
      return;
    }
    res.writeHead(408, {
      "Content-Type": "text/plain; charset=utf-8",
      Connection: "close",
      "Retry-After": "5",
    });
    res.end("The request body arrived too slowly while the server was busy: send it again.\n", () =>
      req.socket.destroy(),
    );
  }
}

/**
 * The bytes of a request's head as sent: the request line, each header line and the blank line. Node gives
 * the header values trimmed, so a sender's extra spaces are missed: a few bytes then count as body.
 */
function headBytes(req: IncomingMessage): number {
  let bytes = Buffer.byteLength(`${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`) + 2;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) bytes += Buffer.byteLength(`${raw[i]}: ${raw[i + 1]}\r\n`);
  return bytes;
}
