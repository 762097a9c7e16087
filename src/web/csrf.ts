import { createHash, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { Forbidden } from "../http/error-response";
import { formBody } from "../http/validation";

/** The hidden form field every seller form carries. */
export const CSRF_FIELD = "csrf";

/**
 * The form token for a browser, derived from the secret in its HttpOnly cookie (the session token once
 * signed in, a visitor token before). Another site can make the browser send the cookie but can never
 * read it, so it cannot compute the token to put in a forged form. It changes whenever the session does.
 */
export function csrfTokenFor(cookieSecret: string): string {
  return createHash("sha256").update(`dropfront-csrf:${cookieSecret}`).digest("base64url");
}

/**
 * A second, independent check: browsers say where a form post comes from (Origin, Sec-Fetch-Site).
 * A request that says it is cross-site is refused even with a valid token; one that says nothing (an old
 * browser, curl) is left to the token.
 */
export function fromOwnOrigin(c: Context): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site === "cross-site" || site === "same-site") return false;
  const origin = c.req.header("origin");
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === new URL(c.req.url).host;
  } catch {
    return false; // "null" and other opaque origins
  }
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Checks a form post and returns its fields: throws Forbidden unless it comes from our own origin and
 * carries the browser's token.
 * @example const form = await checkedForm(c, c.var.csrfToken)
 */
export async function checkedForm(c: Context, expectedToken: string): Promise<Record<string, string>> {
  if (!fromOwnOrigin(c)) throw new Forbidden("This form was sent from another site, so it was refused.");
  const type = c.req.header("content-type") ?? "";
  const isForm = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type);
  const body = isForm ? await formBody(c) : {};
  const token = body[CSRF_FIELD];
  if (typeof token !== "string" || !sameToken(token, expectedToken)) {
    throw new Forbidden(
      "This form has expired or did not come from this site. Reload the page and try again.",
    );
  }
  // Files are never expected; keeping only text fields means no handler meets a File by surprise.
  return Object.fromEntries(
    Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}
