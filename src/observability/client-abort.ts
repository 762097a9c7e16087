/**
 * True when an error only says the client went away mid-request (closed the socket while its body was
 * still arriving, or before the answer was written). That is the client's choice, not a server fault: it
 * gets no error log and no stack (outside review, finding 9: 1,000 aborted uploads gave 7,005 log lines).
 * Node's request stream fails with `Error("aborted")` coded ECONNRESET (its connResetException), which
 * @hono/node-server passes on from the body read; a database socket's ECONNRESET says "read ECONNRESET"
 * instead and stays a server error. Bun.serve's request body fails with an AbortError saying "The
 * connection was closed." (Bun 1.4; our own aborted calls say "The operation was aborted.").
 */
export function isClientAbort(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth++) {
    const code = (e as Error & { code?: unknown }).code;
    if (code === "ECONNRESET" && e.message === "aborted") return true;
    if (code === "ERR_STREAM_PREMATURE_CLOSE") return true;
    if (e.name === "AbortError" && e.message === "The connection was closed.") return true;
  }
  return false;
}
