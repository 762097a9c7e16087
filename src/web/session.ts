import { randomBytes } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { CookieSecurity } from "../config";
import { SESSION_TTL_SECONDS, type SellerAccounts } from "../domain/accounts";
import type { Seller } from "../domain/types";
import { csrfTokenFor } from "./csrf";

export const SESSION_COOKIE = "dfl_session";
/** A random secret for browsers that are not signed in, so sign-in and sign-up forms carry a token too. */
export const VISITOR_COOKIE = "dfl_visitor";

export type SellerEnv = {
  Variables: {
    /** The signed-in seller, if any. */
    seller: Seller | undefined;
    /** The raw session token from the cookie, when it names a live session. */
    sessionToken: string | undefined;
    csrfToken: string;
    cookieSecure: CookieSecurity;
  };
};

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Cookies are Secure everywhere except on a loopback host over plain http (local development and tests),
 * and always when the request arrived over https, including through a proxy that says so. COOKIE_SECURE
 * overrides the guess (e.g. `never` for plain http on a LAN address).
 */
function secureFor(c: Context): boolean {
  return secureCookieFor(c, c.var.cookieSecure);
}

/** Whether a cookie set in answer to `c` is Secure under the COOKIE_SECURE `setting` (see secureFor). */
export function secureCookieFor(c: Context, setting: CookieSecurity): boolean {
  if (setting === "always") return true;
  if (setting === "never") return false;
  const url = new URL(c.req.url);
  if (url.protocol === "https:" || c.req.header("x-forwarded-proto") === "https") return true;
  return !LOOPBACK.has(url.hostname);
}

const cookieOptions = (c: Context) =>
  ({ httpOnly: true, sameSite: "Lax", path: "/", secure: secureFor(c) }) as const;

/**
 * Reads the session cookie and puts the seller (or nobody) and the form token on the context. A cookie
 * naming an expired or ended session is removed.
 */
export function sessionMiddleware(accounts: SellerAccounts, cookieSecure: CookieSecurity = "auto") {
  return createMiddleware<SellerEnv>(async (c, next) => {
    c.set("cookieSecure", cookieSecure);
    const token = getCookie(c, SESSION_COOKIE);
    const seller = token ? await accounts.sellerForSession(token) : undefined;
    if (token && !seller) deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
    c.set("seller", seller);
    c.set("sessionToken", seller ? token : undefined);
    c.set("csrfToken", csrfTokenFor(seller && token ? token : visitorSecret(c)));
    await next();
  });
}

function visitorSecret(c: Context): string {
  const existing = getCookie(c, VISITOR_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const secret = randomBytes(32).toString("base64url");
  setCookie(c, VISITOR_COOKIE, secret, cookieOptions(c));
  return secret;
}

/** Signs the seller in on this browser with a brand-new session, ending the one the browser had. */
export async function signIn(c: Context<SellerEnv>, accounts: SellerAccounts, seller: Seller): Promise<void> {
  const previous = getCookie(c, SESSION_COOKIE);
  const token = await accounts.startSession(seller, previous);
  setCookie(c, SESSION_COOKIE, token, { ...cookieOptions(c), maxAge: SESSION_TTL_SECONDS });
}

export async function signOut(c: Context<SellerEnv>, accounts: SellerAccounts): Promise<void> {
  const token = getCookie(c, SESSION_COOKIE);
  if (token) await accounts.endSession(token);
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
}

/** Only a path on this site under /seller/ may be a place to return to after signing in. */
export function safeNext(next: string | undefined): string {
  return next && /^\/seller\/[A-Za-z0-9/_?=&.-]*$/.test(next) && !next.includes("//")
    ? next
    : "/seller/drops";
}

/**
 * Lets signed-in sellers through. Others are sent to sign in and brought back afterwards; htmx requests
 * get HX-Redirect instead, so an expired session never swaps a whole sign-in page into a fragment.
 */
export const requireSeller = createMiddleware<SellerEnv & { Variables: { seller: Seller } }>(
  async (c, next) => {
    if (c.var.seller) {
      // A signed-in page (the account's API key, orders, form tokens) is never kept by a cache or the
      // back button; a route may still say otherwise (it sets the header after this).
      c.header("Cache-Control", "no-store");
      return next();
    }
    const url = new URL(c.req.url);
    const back = c.req.method === "GET" ? safeNext(url.pathname + url.search) : "/seller/drops";
    const signInUrl = `/seller/sign-in?next=${encodeURIComponent(back)}`;
    if (c.req.header("hx-request") === "true") {
      // Come back to the page the fragment was part of (htmx names it), not to the fragment's address.
      const page = new URL(c.req.header("hx-current-url") ?? url.href, url);
      const pageBack = page.host === url.host ? safeNext(page.pathname + page.search) : "/seller/drops";
      c.header("HX-Redirect", `/seller/sign-in?next=${encodeURIComponent(pageBack)}`);
      return c.body(null, 401);
    }
    return c.redirect(signInUrl, 303);
  },
);
