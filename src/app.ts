import { hostname } from "node:os";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Config, CookieSecurity } from "./config";
import { type Database, isDatabaseUnavailable } from "./db/database";
import { createDropImages, createStorefront, type Storefront } from "./domain/catalog";
import type { PaymentProvider } from "./domain/checkout";
import {
  HOLD_SWEEP_MS,
  PAYMENT_RECONCILE_MS,
  StripePaymentProvider,
  startHoldSweeper,
  startPaymentReconciler,
  startPeriodic,
} from "./domain/checkout";
import type { Clock } from "./domain/clock";
import { Busy, DomainError, NotFound } from "./domain/errors";
import { createNotifyMe, createVerifiedFans, type NotifyMe, type VerifiedFans } from "./domain/fairness";
import { createDispatcher } from "./domain/messages/dispatcher";
import { createMailboxMailer, createSmtpMailer, type Mailer } from "./domain/messages/mailer";
import type { Resolver } from "./domain/messages/safe-address";
import { type DeliverySchedule, defaultSchedule } from "./domain/messages/schedule";
import { createUnsubscribeLinks } from "./domain/messages/unsubscribe";
import { createWebhookService } from "./domain/messages/webhooks";
import { defaultRetryPolicy, type RetryPolicy } from "./domain/purchase";
import { createShop, type PurchaseEngineOptions, type Shop } from "./domain/shop";
import { apiRoutes } from "./http/api";
import { apiReferenceRoutes } from "./http/api-reference";
import { clientAddressMiddleware } from "./http/client-address";
import { errorJson } from "./http/error-response";
import { type PayRateLimits, payRateLimit } from "./http/pay-rate-limit";
import { ClientRateLimiter, purchaseRateLimit, type RateLimit } from "./http/purchase-rate-limit";
import { rehearsalLane } from "./http/rehearsal-lane";
import { securityHeaders } from "./http/security-headers";
import { bodySizeLimitWithUploads } from "./http/upload-limit";
import { isClientAbort } from "./observability/client-abort";
import { createLogger, type Logger } from "./observability/logger";
import { createMetrics } from "./observability/metrics";
import { operationsRoutes } from "./observability/operations-routes";
import { countRetries, observePurchases } from "./observability/purchase-observer";
import { requestContext } from "./observability/request-context";
import { closeConnectionsWhileDraining, Lifecycle } from "./process/lifecycle";
import * as repo from "./repository";
import { htmlError } from "./web/error-page";
import { fanRoutes } from "./web/fan/fan-routes";
import { messageRoutes } from "./web/fan/message-routes";
import { shopPageRoutes } from "./web/fan/shop-page-routes";
import { createStockWatcher } from "./web/fan/stock-watcher";
import { imageFileRoutes } from "./web/image-files";
import { sellerRoutes } from "./web/seller/seller-routes";
import { brandStyleRoutes } from "./web/seller/shop-settings-routes";
import { staticRoutes } from "./web/static-files";

export interface AppDeps {
  db: Database;
  retryPolicy?: RetryPolicy;
  /** Group commit and the purchase's SQL form (see src/domain/shop.ts); `app.shop.purchaseForm()` says which form runs. */
  engine?: Partial<PurchaseEngineOptions>;
  /** Where to report unexpected errors; silent in tests that provoke them on purpose. `log` when absent. */
  logError?: (error: unknown) => void;
  /** Structured logs (pino): request ids, purchases at debug, errors. Errors only, to stdout, when absent. */
  log?: Logger;
  /** Who may read /metrics; nobody when absent. */
  metricsAccess?: Config["metrics"];
  /** The process's drain state: /readyz and `Connection: close` follow it, live streams end when it drains. */
  lifecycle?: Lifecycle;
  /** Base of links shown to people (fan page links) when the request's own address is not it. */
  publicUrl?: string | undefined;
  cookieSecure?: CookieSecurity;
  /** Where this process itself listens (e.g. http://127.0.0.1:3000), once it does. */
  selfUrl?: () => string | undefined;
  /** Reverse proxies in front of the app whose X-Forwarded-* headers are believed (TRUST_PROXY); 0 by default. */
  trustProxy?: number;
  /** Purchases per client (PURCHASE_RATE_LIMIT / PURCHASE_RATE_BURST); no limit when absent. */
  purchaseRateLimit?: RateLimit | undefined;
  /** New drops one seller may create in an hour (DROPS_PER_HOUR); no limit when absent. */
  dropsPerHour?: number | undefined;
  /** Payment attempts per client and per order (PAY_RATE_LIMIT, PAY_RATE_BURST, PAY_ORDER_BURST); none when absent. */
  payRateLimit?: PayRateLimits | undefined;
  /** Stress Test limits to use instead of the backend's defaults (see src/domain/stress-test/stress-limits.ts). */
  stressLimits?: Config["stressLimits"];
  /** How hold drops are paid (src/domain/checkout/payments.ts); the built-in test provider when absent. */
  payments?: PaymentProvider;
  /** The hold of a hold drop's Stress Test rehearsal copy, in seconds; REHEARSAL_HOLD_SECONDS (5) when absent (tests hold shorter). */
  rehearsalHoldSeconds?: number;
  /** How long a watchable Stress Test (the form's default pace) spreads its attempts over, in ms; 15 s when absent. */
  stressWatchMs?: number;
  /** Sweep expired holds every this many ms (src/domain/checkout/hold-sweeper.ts); off when absent (tests sweep themselves). */
  holdSweepMs?: number;
  /**
   * Settle payment attempts left open by a crash or fault (src/domain/checkout/payment-reconciler.ts): at start, then
   * every `everyMs`, each attempt once it is `afterSeconds` old. Off when absent (tests reconcile themselves).
   */
  paymentReconcile?: { everyMs: number; afterSeconds: number };
  /** The one clock every check against the present reads (src/domain/clock.ts); the system's when absent. */
  clock?: Clock;
  /** Fan email and seller webhooks (src/domain/messages); mail kept in the dev mailbox, no ticking, when absent. */
  messages?: MessagesOptions;
}

export interface MessagesOptions {
  /** SMTP server and sender; absent: mail is kept in the dev mailbox. */
  smtp?: { url: string; from: string } | undefined;
  /** Where mail goes instead of SMTP or the mailbox (tests). */
  mailer?: Mailer;
  /** Run the dispatcher every this many ms; off when absent (tests tick `app.messages.dispatcher` themselves). */
  tickMs?: number | undefined;
  /** WEBHOOKS_ALLOW_PRIVATE: webhooks may go to loopback and private addresses (development and tests only). */
  allowPrivate?: boolean;
  /** Retry waits, time-outs and lease (tests use short ones). */
  schedule?: DeliverySchedule;
  resolve?: Resolver;
}

export const MAX_BODY_BYTES = 16 * 1024;

/**
 * What the configuration decides about the app, besides its database: the one place config becomes deps.
 * @example createApp({ db, ...appOptionsFrom(loadConfig()), selfUrl: () => url })
 */
export function appOptionsFrom(config: Config): Omit<AppDeps, "db" | "selfUrl"> {
  return {
    retryPolicy: { ...defaultRetryPolicy, ...config.purchase },
    engine: config.engine,
    publicUrl: config.publicUrl,
    cookieSecure: config.cookieSecure,
    trustProxy: config.trustProxy,
    purchaseRateLimit: config.purchaseRateLimit,
    payRateLimit: config.payRateLimit,
    dropsPerHour: config.dropsPerHour,
    log: createLogger({ level: config.logLevel, lines: config.logLines }),
    metricsAccess: config.metrics,
    stressLimits: config.stressLimits,
    holdSweepMs: HOLD_SWEEP_MS,
    paymentReconcile: { everyMs: PAYMENT_RECONCILE_MS, afterSeconds: config.paymentReconcileAfterSeconds },
    messages: {
      smtp: config.messages.smtp,
      tickMs: config.messages.tickMs,
      allowPrivate: config.messages.allowPrivate,
      ...(config.messages.retryDelaysMs
        ? { schedule: { ...defaultSchedule, retryDelaysMs: config.messages.retryDelaysMs } }
        : {}),
    },
    ...(config.payments.provider === "stripe"
      ? { payments: new StripePaymentProvider(config.payments) }
      : {}),
  };
}

/**
 * Builds the whole web app around its dependencies; `src/server.ts` serves it and tests call
 * `app.request(...)` on it directly.
 * @example const app = createApp({ db: await openPglite("memory") })
 */
export function createApp(
  deps: AppDeps,
): Hono & { shop: Shop; messages: Messages; fans: VerifiedFans; notifyMe: NotifyMe } {
  const { db } = deps;
  const log = deps.log ?? createLogger({ level: "error" });
  const report = deps.logError ?? ((error: unknown) => log.error({ err: error }, "unexpected error"));
  // A client that hung up mid-request is not a server fault: one debug line, no stack (finding 9).
  const logError = (error: unknown) =>
    isClientAbort(error) ? log.debug("client closed the connection mid-request") : report(error);
  const lifecycle = deps.lifecycle ?? new Lifecycle();
  const watcher = createStockWatcher({
    read: (dropIds) => repo.readStocks(db, dropIds),
    onReadError: (error) => log.warn({ err: error }, "stock read failed"),
  });
  lifecycle.onDrain(() => watcher.closeAll());
  const metricsAccess = deps.metricsAccess ?? { mode: "off" };
  const metrics = createMetrics(
    { db, streamsOpen: watcher.openCount, stressTestsRunning: () => repo.countRunningStressTests(db) },
    { processMetrics: metricsAccess.mode !== "off" },
  );
  const retryPolicy = { ...(deps.retryPolicy ?? defaultRetryPolicy), onRetry: countRetries(metrics) };
  const shop = observePurchases(
    createShop(db, {
      retryPolicy,
      ...(deps.engine ? { engine: deps.engine } : {}),
      ...(deps.payments ? { payments: deps.payments } : {}),
      ...(deps.clock ? { clock: deps.clock } : {}),
      dropsPerHour: deps.dropsPerHour,
      onBackgroundError: (error, what) => log.warn({ err: error }, `failed ${what}`),
    }),
    metrics,
    log,
  );
  if (deps.holdSweepMs) {
    const sweeper = startHoldSweeper(shop.checkout, deps.holdSweepMs, (error) =>
      log.warn({ err: error }, "hold sweep failed"),
    );
    lifecycle.onDrain(sweeper.stop);
    // Draws whose entries closed are run, and units free where fans wait are offered (docs/draws.md).
    const draws = startPeriodic(
      () => shop.fairness.tick(),
      deps.holdSweepMs,
      (error) => log.warn({ err: error }, "draw and offer sweep failed"),
    );
    lifecycle.onDrain(draws.stop);
  }
  if (deps.paymentReconcile) {
    const holder = `${hostname()} pid ${process.pid}`;
    const reconciler = startPaymentReconciler(
      shop.checkout,
      deps.paymentReconcile.everyMs,
      { graceSeconds: deps.paymentReconcile.afterSeconds, holder },
      (summary) => {
        const { waiting: _waiting, ...settled } = summary;
        if (Object.values(settled).some((n) => n > 0)) log.info({ summary }, "payment attempts reconciled");
      },
      (error) => log.warn({ err: error }, "payment reconciliation failed"),
    );
    lifecycle.onDrain(reconciler.stop);
  }
  const images = createDropImages(deps.db);
  const storefront = createStorefront(deps.db, images, shop.clock);
  const messages = createMessages(deps, storefront, log, lifecycle, sellingSince(shop.batcher));
  // Verified fans (issue 17 §1): codes go out through the messages' mailer (the dev mailbox without SMTP).
  const fans = createVerifiedFans({ db, mailer: messages.mailer, clock: shop.clock, log });
  // "Email me at go-live" (issue 17 §4): its own sender beside the dispatcher, ticking with it.
  const linkBase = () => deps.publicUrl ?? deps.selfUrl?.() ?? "http://127.0.0.1:3000";
  const notifyMe = createNotifyMe({
    db,
    mailer: messages.mailer,
    log,
    links: {
      drop: (slug) => new URL(`/d/${slug}`, linkBase()).toString(),
      confirm: (slug, id, token) =>
        new URL(`/d/${slug}/notify/confirm?s=${id}&t=${token}`, linkBase()).toString(),
      unsubscribe: (address) => messages.unsubscribe.url(linkBase(), address),
    },
  });
  if (deps.messages?.tickMs) lifecycle.onDrain(notifyMe.start(deps.messages.tickMs).stop);
  const app = new Hono();
  app.use("*", requestContext(log));
  app.use("*", closeConnectionsWhileDraining(lifecycle));

  app.use("*", securityHeaders({ trustProxy: deps.trustProxy ?? 0 }));
  app.use("*", clientAddressMiddleware(deps.trustProxy ?? 0));
  // 16 KB everywhere; picture uploads (the API's and the seller forms') get room for a picture.
  app.use("*", bodySizeLimitWithUploads(MAX_BODY_BYTES));
  // The Stress Test's own requests: behind live work, with a bounded share of the database.
  app.use("*", rehearsalLane);
  if (deps.purchaseRateLimit) {
    const limiter = new ClientRateLimiter(deps.purchaseRateLimit);
    app.use("/api/drops/:ref/purchase", purchaseRateLimit(limiter, deps.trustProxy ?? 0, errorJson));
    app.use("/d/:slug/buy", purchaseRateLimit(limiter, deps.trustProxy ?? 0, htmlError));
  }
  if (deps.payRateLimit) {
    // One set of buckets for both doors, so the API and the fan page share each client's and order's limit.
    const limit = payRateLimit(deps.payRateLimit, deps.trustProxy ?? 0);
    app.use("/api/orders/:id/pay", limit("id", errorJson));
    app.use("/d/:slug/orders/:orderId/pay", limit("orderId", htmlError));
  }

  app.route("/", operationsRoutes({ db, lifecycle, metrics, metricsAccess }));
  app.route("/api", apiRoutes(shop, messages.webhooks, fans));
  // After the API's routes: the document describes the routes registered so far.
  apiReferenceRoutes(app);
  app.route("/static", staticRoutes());
  app.route(
    "/",
    messageRoutes({ db, mailbox: messages.mailer.mode === "mailbox", unsubscribe: messages.unsubscribe }),
  );
  app.route(
    "/d",
    fanRoutes(shop, {
      watcher,
      storefront,
      publicUrl: deps.publicUrl,
      fans,
      notifyMe,
      cookieSecure: deps.cookieSecure ?? "auto",
    }),
  );
  app.route("/s", shopPageRoutes(storefront, deps.publicUrl));
  app.route("/images", imageFileRoutes(images));
  app.route("/brand", brandStyleRoutes());
  app.route(
    "/",
    sellerRoutes(shop, {
      logError,
      publicUrl: deps.publicUrl,
      cookieSecure: deps.cookieSecure ?? "auto",
      selfUrl: deps.selfUrl,
      stressLimits: deps.stressLimits,
      rehearsalHoldSeconds: deps.rehearsalHoldSeconds,
      stressWatchMs: deps.stressWatchMs,
      lifecycle,
      webhooks: messages.webhooks,
      fans,
    }),
  );

  app.notFound((c) => errorJson(c, new NotFound("page or endpoint")));
  app.onError((error, c) => {
    if (error instanceof DomainError) return errorJson(c, error);
    // No connection in time, a lost one, a statement timeout: an outage or overload the client retries.
    if (isDatabaseUnavailable(error)) return errorJson(c, new Busy());
    if (error instanceof HTTPException) return error.getResponse();
    logError(error);
    return c.json({ error: { code: "internal", message: "Something went wrong on our side." } }, 500);
  });

  return Object.assign(app, { shop, messages, fans, notifyMe });
}

export type Messages = ReturnType<typeof createMessages>;

/** True when purchase statements ran since the previous call: the dispatcher's cue to yield (dispatcher.ts). */
function sellingSince(batcher: { sent: { statements: number } }): () => boolean {
  let seen = batcher.sent.statements;
  return () => {
    const now = batcher.sent.statements;
    const selling = now !== seen;
    seen = now;
    return selling;
  };
}

/** The outbox's dispatcher, the mail it sends through, and the sellers' webhook endpoints (issue 16). */
function createMessages(
  deps: AppDeps,
  storefront: Storefront,
  log: Logger,
  lifecycle: Lifecycle,
  purchasing: () => boolean,
) {
  const { db } = deps;
  const options = deps.messages ?? {};
  const mailer =
    options.mailer ??
    (options.smtp ? createSmtpMailer(options.smtp.url, options.smtp.from) : createMailboxMailer(db, log));
  const unsubscribe = createUnsubscribeLinks(db);
  // Links in mail must work from the fan's inbox: the public address, else where this process listens.
  const base = () => deps.publicUrl ?? deps.selfUrl?.() ?? "http://127.0.0.1:3000";
  const allowPrivate = options.allowPrivate ?? false;
  const dispatcher = createDispatcher({
    db,
    mailer,
    log,
    allowPrivate,
    purchasing,
    ...(options.schedule ? { schedule: options.schedule } : {}),
    ...(options.resolve ? { resolve: options.resolve } : {}),
    links: {
      receipt: async (slug, orderId) =>
        new URL(`/d/${slug}/orders/${orderId}?k=${await storefront.receiptCode(orderId)}`, base()).toString(),
      unsubscribe: (address) => unsubscribe.url(base(), address),
    },
  });
  if (options.tickMs) {
    const loop = dispatcher.start(options.tickMs);
    lifecycle.onDrain(loop.stop);
  }
  lifecycle.onDrain(() => mailer.close());
  const webhooks = createWebhookService({
    db,
    dispatcher,
    allowPrivate,
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });
  return { dispatcher, webhooks, mailer, unsubscribe };
}
