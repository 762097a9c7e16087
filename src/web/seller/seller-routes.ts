import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { CookieSecurity } from "../../config";
import { isDatabaseUnavailable } from "../../db/database";
import { createSellerAccounts } from "../../domain/accounts";
import { createSellerDashboard } from "../../domain/books";
import { createDropImages, createShopBrands, createStorefront } from "../../domain/catalog";
import { Busy, DomainError } from "../../domain/errors";
import type { VerifiedFans } from "../../domain/fairness";
import type { WebhookService } from "../../domain/messages/webhooks";
import type { Shop } from "../../domain/shop";
import type { StressLimits } from "../../domain/stress-test";
import { createStressTests, SHUTDOWN_PROBLEM } from "../../domain/stress-test";
import type { Lifecycle } from "../../process/lifecycle";
import { htmlError, internalErrorPage } from "../error-page";
import { type SellerEnv, sessionMiddleware } from "../session";
import { sellerAuthRoutes } from "./seller-auth-routes";
import { sellerDropRoutes } from "./seller-drop-routes";
import { sellerHoldRoutes } from "./seller-hold-routes";
import { sellerImageRoutes } from "./seller-image-routes";
import { sellerOrderRoutes } from "./seller-order-routes";
import { sellerStressRoutes } from "./seller-stress-routes";
import { sellerWebhookRoutes } from "./seller-webhook-routes";
import { shopSettingsRoutes } from "./shop-settings-routes";

export interface SellerRoutesOptions {
  /** Where unexpected errors are reported; the visitor sees a plain error page. */
  logError?: (error: unknown) => void;
  /** Base for the fan-page links shown to sellers; the request's own address when absent. */
  publicUrl?: string | undefined;
  cookieSecure?: CookieSecurity;
  /** Where this process listens: the Stress Test sends its purchases there. */
  selfUrl?: (() => string | undefined) | undefined;
  /** Stress Test limits instead of the backend's defaults. */
  stressLimits?: Partial<StressLimits> | undefined;
  /** The hold of a hold drop's Stress Test rehearsal, in seconds (src/domain/stress-test/stress-test.ts). */
  rehearsalHoldSeconds?: number | undefined;
  /** How long a watchable Stress Test spreads its attempts over, in ms (tests shorten it). */
  stressWatchMs?: number | undefined;
  /** The process's drain: running Stress Tests are cancelled when it starts (SIGTERM). */
  lifecycle?: Lifecycle | undefined;
  /** The sellers' webhook endpoints (src/domain/messages/webhooks.ts): the Webhooks page. */
  webhooks?: WebhookService | undefined;
  /** Verified fans: a verified drop's Stress Test verifies its fans through the code step. */
  fans?: VerifiedFans | undefined;
}

/**
 * The seller's side as HTML pages: landing page, accounts and sessions, drops and their dashboards.
 * Mounted at the root; the session middleware is scoped to "/" and "/seller/*" so the JSON API and the
 * fan pages never pay for a session lookup. Errors become HTML pages here rather than the API's JSON.
 * @example app.route("/", sellerRoutes(shop, { logError }))
 */
export function sellerRoutes(shop: Shop, options: SellerRoutesOptions = {}) {
  const logError = options.logError ?? ((error: unknown) => console.error(error));
  const accounts = createSellerAccounts(shop.db);
  const routes = new Hono<SellerEnv>();
  const session = sessionMiddleware(accounts, options.cookieSecure ?? "auto");
  routes.use("/", session);
  routes.use("/seller", session);
  routes.use("/seller/*", session);
  routes.route("/", sellerAuthRoutes(shop, accounts));
  const stressTests = createStressTests({
    db: shop.db,
    shop,
    selfUrl: options.selfUrl,
    logError,
    limits: options.stressLimits,
    rehearsalHoldSeconds: options.rehearsalHoldSeconds,
    fans: options.fans,
    watchSpreadMs: options.stressWatchMs,
  });
  options.lifecycle?.onDrain(() => stressTests.cancelAll(SHUTDOWN_PROBLEM));
  routes.route(
    "/",
    sellerDropRoutes(shop, createSellerDashboard(shop.db, shop), options.publicUrl, stressTests),
  );
  routes.route("/", sellerStressRoutes(shop, stressTests));
  const images = createDropImages(shop.db);
  routes.route("/", sellerImageRoutes(shop, images));
  routes.route(
    "/",
    shopSettingsRoutes(createShopBrands(shop.db), createStorefront(shop.db, images, shop.clock)),
  );
  routes.route("/", sellerHoldRoutes(shop));
  routes.route("/", sellerOrderRoutes(shop));
  if (options.webhooks) routes.route("/", sellerWebhookRoutes(options.webhooks));

  routes.onError((error, c) => {
    const shell = { sellerName: c.var.seller?.name, csrfToken: c.var.csrfToken };
    if (error instanceof DomainError) return htmlError(c, error, shell);
    // No connection in time, a lost one, a statement timeout: answered like the API does (503).
    if (isDatabaseUnavailable(error)) return htmlError(c, new Busy(), shell);
    if (error instanceof HTTPException) return error.getResponse();
    logError(error);
    return internalErrorPage(c);
  });
  return routes;
}
