import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import type { Context } from "hono";

// A long-lived response written straight to Node's ServerResponse instead of through a WHATWG
// ReadableStream: the live counter holds ten thousand of them open at once, and every layer between the
// app and the socket (a Response body stream, its reader, the adapter's read loop, the request's Context)
// is heap held for the stream's whole life (docs/capacity.md). Only http-server.ts serves such responses:
// it marks the env it passes to the app, and once the app (with every middleware) has answered, it calls
// the route's `start` with the answer's final headers and tells @hono/node-server that the response is
// already sent. Anywhere else (`app.request` in tests, Bun, another adapter) `nodeResponseOf` says no and
// the route answers with an ordinary stream.

const DETACHABLE = Symbol("detachable");
/** Marks the route's own answer, so a different one (an error page from a middleware) is sent as usual. */
const DETACHED_HEADER = "x-dropfront-detached";
type Start = (headers: OutgoingHttpHeaders) => void;
/** Keyed by the Node response, not the Response object: Hono may copy an answer into a new Response. */
const starts = new WeakMap<ServerResponse, Start>();

/** The Node response to write to directly, when the server serving this request supports it. */
export function nodeResponseOf(env: unknown): ServerResponse | undefined {
  const node = env as { [DETACHABLE]?: boolean; outgoing?: ServerResponse } | undefined;
  return node?.[DETACHABLE] ? node.outgoing : undefined;
}

/**
 * The route's answer (200, `headers`, no body yet); once every middleware has added its headers, `start`
 * writes the head and then the body itself to `outgoing`.
 * @example return detachedResponse(c, outgoing, { "Content-Type": "text/event-stream" }, (headers) => outgoing.writeHead(200, headers))
 */
export function detachedResponse(
  c: Context,
  outgoing: ServerResponse,
  headers: Record<string, string>,
  start: Start,
): Response {
  starts.set(outgoing, start);
  return c.body(null, 200, { ...headers, [DETACHED_HEADER]: "1" });
}

/**
 * Wraps the app's fetch for @hono/node-server: marks its env so routes may detach, and starts a detached
 * response once the app returns it.
 */
export function servingDetached(
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>,
): (request: Request, env: object) => Promise<Response> {
  return async (request, env) => {
    const node = Object.assign(env, { [DETACHABLE]: true }) as { outgoing?: ServerResponse };
    const response = await fetch(request, node);
    const start = node.outgoing && starts.get(node.outgoing);
    if (!start || !node.outgoing) return response;
    starts.delete(node.outgoing);
    if (!response.headers.has(DETACHED_HEADER)) return response;
    const headers: OutgoingHttpHeaders = Object.fromEntries(response.headers);
    delete headers[DETACHED_HEADER];
    // Iterating Headers yields each Set-Cookie apart; as an object they would overwrite one another.
    const cookies = response.headers.getSetCookie();
    if (cookies.length > 0) headers["set-cookie"] = cookies;
    start(headers);
    // A fresh copy per request of the adapter's "already sent" answer, for which it writes nothing.
    return RESPONSE_ALREADY_SENT.clone();
  };
}
