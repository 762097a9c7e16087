/**
 * The drop page's fairness steps (issue 17): "Get ready: confirm your email" on verified-fans drops (the
 * code step, then the HttpOnly fan cookie), and "Email me at go-live" on upcoming drops with its confirm
 * link. htmx swaps each answer in place; without JS every form posts and the whole page comes back.
 * Posts must come from our own pages (Origin / Sec-Fetch-Site, as the seller forms' first check), and the
 * cookie is SameSite=Lax, so another site can neither set nor spend a fan's proof.
 */
import { randomUUID } from "node:crypto";
import { type Context, Hono } from "hono";
import { setCookie } from "hono/cookie";
import * as v from "valibot";
import type { PurchaseState } from "../../../views/fan/purchase";
import { Purchase } from "../../../views/fan/purchase";
import { NotifyConfirmedPage, type NotifyMeState, NotifyMe as NotifyMeView } from "../../../views/fan/verify";
import type { CookieSecurity } from "../../config";
import type { Storefront } from "../../domain/catalog";
import {
  CodeExpired,
  CodeInvalid,
  DomainError,
  InvalidInput,
  NotLive,
  RateLimited,
} from "../../domain/errors";
import { type NotifyMe, TOKEN_TTL_MS, type VerifiedFan, type VerifiedFans } from "../../domain/fairness";
import type { DropWithStock } from "../../domain/shop";
import type { Drop } from "../../domain/types";
import { Forbidden } from "../../http/error-response";
import { FanEmail } from "../../http/fan-api";
import { FAN_COOKIE, verifiedFan } from "../../http/fan-auth";
import { IdempotencyKey } from "../../http/schemas";
import { formBody } from "../../http/validation";
import { fromOwnOrigin } from "../csrf";
import { secureCookieFor } from "../session";

export type NotifyState = NotifyMeState;

export interface FanFairnessDeps {
  fans: VerifiedFans;
  notifyMe?: NotifyMe | undefined;
  cookieSecure: CookieSecurity;
  findDrop(slug: string): Promise<Drop | undefined>;
  notFound(c: Context): Response | Promise<Response>;
  page(
    c: Context,
    drop: Drop,
    purchaseFor: (view: DropWithStock, fan: VerifiedFan | undefined) => PurchaseState,
    notify?: NotifyState,
  ): Promise<unknown>;
  storefront: Storefront;
  dropWithStock(drop: Drop): Promise<DropWithStock>;
  /** Whether the drop sells by draw: its page's entry box, not a buy box, follows a fan's verification. */
  isDraw?(drop: Drop): Promise<boolean>;
}

const isFragment = (c: Context) => c.req.header("hx-request") === "true";
const text = (value: unknown) => (typeof value === "string" ? value : "");
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The fan's words for an error of the code steps. */
function sayError(error: DomainError): string {
  if (error instanceof InvalidInput) return error.issues[0]?.message ?? error.message;
  if (error instanceof RateLimited)
    return `Too many codes asked for just now. Try again in ${Math.ceil(error.retryAfterSeconds / 60)} minute(s).`;
  return error.message;
}

export function fanFairnessRoutes(deps: FanFairnessDeps) {
  const routes = new Hono();

  const ownOrigin = (c: Context) => {
    if (!fromOwnOrigin(c)) throw new Forbidden("This form was sent from another site, so it was refused.");
  };

  routes.post("/:slug/verify", async (c) => {
    ownOrigin(c);
    const drop = await deps.findDrop(c.req.param("slug"));
    if (!drop) return deps.notFound(c);
    const form = await formBody(c);
    const key = v.is(IdempotencyKey, form.idempotencyKey) ? String(form.idempotencyKey) : randomUUID();
    const email = text(form.email).trim().slice(0, 200);
    let state: PurchaseState;
    let status: 200 | 201 | 400 | 401 | 422 | 429 = 200;
    let verified: VerifiedFan | undefined;
    try {
      const address = v.safeParse(FanEmail, form.email);
      if (!address.success)
        throw new InvalidInput([
          { path: "email", message: address.issues[0]?.message ?? "email is required" },
        ]);
      if (form.step === "code") {
        const code = text(form.code).trim();
        if (!/^\d{6}$/.test(code))
          throw new InvalidInput([{ path: "code", message: "Type the 6 digits we emailed." }]);
        const session = await deps.fans.startSession(address.output, code);
        setCookie(c, FAN_COOKIE, session.fanToken, {
          httpOnly: true,
          sameSite: "Lax",
          path: "/",
          secure: secureCookieFor(c, deps.cookieSecure),
          maxAge: Math.floor(TOKEN_TTL_MS / 1000),
        });
        verified = await deps.fans.verify(session.fanToken);
        const view = await deps.dropWithStock(drop);
        state = { kind: "ready", fan: "", idempotencyKey: key, live: view.status === "live" };
        status = 201;
      } else {
        await deps.fans.requestCode(address.output, c.var.clientAddress ?? "local");
        state = { kind: "verify", step: "code", email: address.output, idempotencyKey: key };
      }
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // A dead code goes back to the first step, for a new one; a wrong one stays on the code step.
      const step = form.step === "code" && !(error instanceof CodeExpired) && email ? "code" : "email";
      state = { kind: "verify", step, email, idempotencyKey: key, error: sayError(error) };
      status =
        error instanceof CodeInvalid || error instanceof CodeExpired
          ? 422
          : error instanceof RateLimited
            ? 429
            : 400;
      if (error instanceof RateLimited) c.header("Retry-After", String(error.retryAfterSeconds));
    }
    c.header("Cache-Control", "no-store");
    // A draw drop's page swaps no buy box in: once verified, the page reloads to show "Enter the draw".
    if (verified && isFragment(c) && (await deps.isDraw?.(drop))) {
      c.header("HX-Refresh", "true");
      return c.body(null, 204);
    }
    if (isFragment(c)) {
      return c.html(<Purchase slug={drop.slug} state={state} verifiedAs={verified?.email} />, status);
    }
    // Without JS: once verified, back to the drop page (post/redirect/get), which now reads the cookie.
    if (verified) return c.redirect(`/d/${drop.slug}`, 303);
    return c.html((await deps.page(c, drop, () => state)) as string, status);
  });

  routes.post("/:slug/notify", async (c) => {
    ownOrigin(c);
    const drop = await deps.findDrop(c.req.param("slug"));
    if (!drop || !deps.notifyMe) return deps.notFound(c);
    const form = await formBody(c);
    const email = text(form.email).trim().slice(0, 200);
    let notify: NotifyState;
    let status: 201 | 400 | 409 = 201;
    try {
      const address = v.safeParse(FanEmail, form.email);
      if (!address.success)
        throw new InvalidInput([
          { path: "email", message: address.issues[0]?.message ?? "email is required" },
        ]);
      const [view, extras, fan] = await Promise.all([
        deps.dropWithStock(drop),
        deps.storefront.pageExtras(drop),
        verifiedFan(c, deps.fans),
      ]);
      const { confirmed } = await deps.notifyMe.signUp(drop, extras.shop.name, address.output, {
        verifiedEmail: fan?.email,
        upcoming: view.status === "upcoming",
      });
      notify = { kind: "sent", confirmed };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const message =
        error instanceof NotLive
          ? "This drop is not upcoming any more: no need, it is on now."
          : sayError(error);
      notify = { kind: "form", email, error: message };
      status = error instanceof NotLive ? 409 : 400;
    }
    c.header("Cache-Control", "no-store");
    if (isFragment(c)) return c.html(<NotifyMeView slug={drop.slug} state={notify} />, status);
    return c.html((await deps.page(c, drop, (_, fan) => readyOrVerify(drop, fan), notify)) as string, status);
  });

  routes.get("/:slug/notify/confirm", async (c) => {
    const drop = await deps.findDrop(c.req.param("slug"));
    const id = c.req.query("s") ?? "";
    const token = c.req.query("t") ?? "";
    if (!drop || !deps.notifyMe || !UUID.test(id) || !/^[\w-]{1,64}$/.test(token)) return deps.notFound(c);
    try {
      const signup = await deps.notifyMe.confirm(id.toLowerCase(), token);
      if (signup.dropId !== drop.id) return deps.notFound(c);
    } catch (error) {
      if (error instanceof DomainError) return deps.notFound(c);
      throw error;
    }
    c.header("Cache-Control", "no-store");
    c.header("Referrer-Policy", "no-referrer");
    const shop = (await deps.storefront.pageExtras(drop)).shop;
    return c.html(<NotifyConfirmedPage drop={drop} shop={shop} />);
  });

  return routes;
}

/** The buy box a fresh page shows: the email step on a verified-fans drop the fan has not proven yet. */
function readyOrVerify(drop: Drop, fan: VerifiedFan | undefined): PurchaseState {
  return drop.verifiedFans && !fan
    ? { kind: "verify", step: "email", email: "", idempotencyKey: randomUUID() }
    : { kind: "ready", fan: "", idempotencyKey: randomUUID(), live: false };
}
