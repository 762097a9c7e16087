import type { ServerResponse } from "node:http";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";

// A long-lived response written straight to Node's ServerResponse instead of through a WHATWG
// ReadableStream: the live counter holds ten thousand of them open at once, and every layer between the
// app and the socket (a Response body stream, its reader, the adapter's read loop, the request's Context)
// is heap held for the stream's whole life (docs/capacity.md). Only http-server.ts serves such responses:
// it marks the env it passes to the app, and once the app (with every middleware) has answered, it calls
// the response's `start` with the final headers. Anywhere else (`app.request` in tests, Bun, another
// adapter) `nodeResponseOf` says no and the route answers with an ordinary stream.

const DETACHABLE = Symbol("detachable");
type Start = (headers: Headers) => void;
/** Keyed by the Node response, not the Response object: Hono may copy a handler's Response into a new one. */
const starts = new WeakMap<ServerResponse, Start>();

/** The Node response to write to directly, when the server serving this request supports it. */
export function nodeResponseOf(env: unknown): ServerResponse | undefined {
  const node = env as { [DETACHABLE]?: boolean; outgoing?: ServerResponse } | undefined;
  return node?.[DETACHABLE] ? node.outgoing : undefined;
}

/**
 * A response whose head and body `start` writes itself to `outgoing`, once the app has set every header.
 * @example return detachedResponse(outgoing, (headers) => { outgoing.writeHead(200, headerRecord(headers)); … })
 */
export function detachedResponse(outgoing: ServerResponse, start: Start): Response {
  // A fresh copy per request (never the shared one: middleware sets headers on it). @hono/node-server
  // writes nothing for a response carrying its "already sent" header.
  const response = RESPONSE_ALREADY_SENT.clone();
  starts.set(outgoing, start);
  return response;
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
    // The route detached, but a middleware may have answered otherwise (an error): that answer is sent.
    if (!response.headers.has("x-hono-already-sent")) return response;
    const headers = new Headers(response.headers);
    headers.delete("x-hono-already-sent");
    start(headers);
    return response;
  };
}
