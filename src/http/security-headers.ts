import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { cameOverHttps } from "./client-address";

/** Half a year, the value Hono's secure-headers and OWASP's HTTP Headers Cheat Sheet use. */
const HSTS = "max-age=15552000; includeSubDomains";

/**
 * Security headers on every response (pages, fragments, JSON, static files, error pages, SSE), with
 * Hono's secure-headers middleware. The CSP allows scripts, styles and connections from this origin
 * only and no inline script or style at all: the views have none (a test checks), and htmx is told not
 * to inject its indicator <style> (the htmx-config meta tag in views/layout.tsx). Fan pages cannot be
 * framed (frame-ancestors 'none' and X-Frame-Options DENY), so nobody can lay a page over the Buy button.
 * Referrer-Policy is `same-origin`, not `no-referrer`: with `no-referrer` browsers send `Origin: null` on
 * our own form posts, which the CSRF check (src/web/csrf.ts) would refuse.
 * HSTS only over https (directly, or via a proxy trusted by TRUST_PROXY): over plain http browsers
 * ignore it, and a local http server must not teach a browser to insist on https for `localhost`.
 * @example app.use("*", securityHeaders({ trustProxy: 0 }))
 */
export function securityHeaders(options: { trustProxy: number }): MiddlewareHandler {
  const headers = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      // The page's empty favicon is a data: URL.
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
    },
    xFrameOptions: "DENY",
    referrerPolicy: "same-origin",
    strictTransportSecurity: false,
  });
  return async (c, next) => {
    // A route may ask for a stricter Referrer-Policy (the fan's receipt, whose address is its secret,
    // sends none); secure-headers would overwrite it after the route ran, so it is put back.
    let routePolicy: string | null = null;
    await headers(c, async () => {
      await next();
      routePolicy = c.res.headers.get("Referrer-Policy");
    });
    if (routePolicy) c.res.headers.set("Referrer-Policy", routePolicy);
    if (cameOverHttps(c, options.trustProxy)) c.res.headers.set("Strict-Transport-Security", HSTS);
  };
}
