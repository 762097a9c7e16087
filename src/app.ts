import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { logger } from "hono/logger";
import type { Config, CookieSecurity } from "./config";
import { ConnectionUnavailable, type Database } from "./db/database";
import { Busy, DomainError, NotFound } from "./domain/errors";
import { createDropImages } from "./domain/images";
import { defaultRetryPolicy, type RetryPolicy } from "./domain/retry";
import { createShop, type Shop } from "./domain/shop";
import { createStorefront } from "./domain/storefront";
import { apiRoutes } from "./http/api";
import { errorJson } from "./http/error-response";
import { bodySizeLimitWithUploads } from "./http/upload-limit";
import { fanRoutes } from "./web/fan-routes";
import { imageFileRoutes } from "./web/image-files";
import { sellerRoutes } from "./web/seller-routes";
import { shopPageRoutes } from "./web/shop-page-routes";
import { staticRoutes } from "./web/static-files";

export interface AppDeps {
  db: Database;
  retryPolicy?: RetryPolicy;
  /** Where to report unexpected errors; silent in tests that provoke them on purpose. */
  logError?: (error: unknown) => void;
  /** Base of links shown to people (fan page links) when the request's own address is not it. */
  publicUrl?: string | undefined;
  cookieSecure?: CookieSecurity;
  /** Where this process itself listens (e.g. http://127.0.0.1:3000), once it does. */
  selfUrl?: () => string | undefined;
  /** One line per request (method, path, status, time) to the console; off by default. */
  logRequests?: boolean;
}

export const MAX_BODY_BYTES = 16 * 1024;

/**
 * What the configuration decides about the app, besides its database: the one place config becomes deps.
 * @example createApp({ db, ...appOptionsFrom(loadConfig()), selfUrl: () => url })
 */
export function appOptionsFrom(config: Config): Omit<AppDeps, "db" | "selfUrl"> {
  return {
    retryPolicy: { ...defaultRetryPolicy, ...config.purchase },
    publicUrl: config.publicUrl,
    cookieSecure: config.cookieSecure,
    logRequests: config.logLevel === "debug",
    logError: config.logLevel === "silent" ? () => undefined : (error) => console.error(error),
  };
}

/**
 * Builds the whole web app around its dependencies; `src/server.ts` serves it and tests call
 * `app.request(...)` on it directly.
 * @example const app = createApp({ db: await openPglite("memory") })
 */
export function createApp(deps: AppDeps): Hono & { shop: Shop } {
  const shop = createShop(deps.db, deps.retryPolicy ? { retryPolicy: deps.retryPolicy } : {});
  const logError = deps.logError ?? ((error: unknown) => console.error(error));
  const app = new Hono();
  if (deps.logRequests) app.use("*", logger());

  // 16 KB everywhere; picture uploads (the API's and the seller forms') get room for a picture.
  app.use("*", bodySizeLimitWithUploads(MAX_BODY_BYTES));

  app.get("/healthz", (c) => c.text("ok"));
  app.route("/api", apiRoutes(shop));
  app.route("/static", staticRoutes());
  const images = createDropImages(deps.db);
  const storefront = createStorefront(deps.db, images);
  app.route("/d", fanRoutes(shop, { storefront, publicUrl: deps.publicUrl }));
  app.route("/s", shopPageRoutes(storefront));
  app.route("/images", imageFileRoutes(images));
  app.route(
    "/",
    sellerRoutes(shop, {
      logError,
      publicUrl: deps.publicUrl,
      cookieSecure: deps.cookieSecure ?? "auto",
      selfUrl: deps.selfUrl,
    }),
  );

  app.notFound((c) => errorJson(c, new NotFound("page or endpoint")));
  app.onError((error, c) => {
    if (error instanceof DomainError) return errorJson(c, error);
    // The pool (or PGlite's queue) had no connection for us in time: a load problem, not a fault.
    if (error instanceof ConnectionUnavailable) return errorJson(c, new Busy());
    if (error instanceof HTTPException) return error.getResponse();
    logError(error);
    return c.json({ error: { code: "internal", message: "Something went wrong on our side." } }, 500);
  });

  return Object.assign(app, { shop });
}
