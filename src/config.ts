import * as v from "valibot";

/** The only reader of the environment: everything else receives a parsed `Config`. */

const integerFrom = (fallback: number, min: number, max: number) =>
  v.pipe(
    v.optional(v.string(), String(fallback)),
    v.trim(),
    v.regex(/^\d+$/, "must be a whole number"),
    v.transform(Number),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

/** A whole number that may be left unset (the code then picks a default, e.g. per backend). */
const optionalInteger = (min: number, max: number) =>
  v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.regex(/^\d+$/, "must be a whole number"),
      v.transform(Number),
      v.minValue(min, `must be at least ${min}`),
      v.maxValue(max, `must be at most ${max}`),
    ),
  );

/**
 * Purchases per client address by default: a burst of 1,000 then 200 a second. One address may be a whole
 * stadium behind a carrier NAT or its Wi-Fi: a crowd that taps Buy within seconds of go-live must not be
 * turned away, and 10 a second with a burst of 20 (the old default) would have answered all but 20 of
 * them 429 (issue 15 §2). One script from one machine sends ~9,000 attempts a second (BENCHMARKS.md): after
 * its burst it is held to 200, about 2 % of what one server answers, so it cannot crowd others out.
 */
export const PURCHASE_RATE_DEFAULTS = { perSecond: 200, burst: 1000 };

const optionalText = v.optional(v.pipe(v.string(), v.trim(), v.minLength(1, "must not be empty")));

const EnvSchema = v.pipe(
  v.object({
    HOST: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1)), "127.0.0.1"),
    PORT: integerFrom(3000, 0, 65535),
    DATA_DIR: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1)), "./data"),
    DATABASE_URL: optionalText,
    DB_POOL_SIZE: integerFrom(8, 1, 1000),
    DB_ACQUIRE_TIMEOUT_MS: integerFrom(5000, 10, 600_000),
    DB_STATEMENT_TIMEOUT_MS: integerFrom(10_000, 0, 600_000),
    DB_ISOLATION: v.optional(v.picklist(["read committed", "repeatable read"]), "read committed"),
    DSQL_ENDPOINT: optionalText,
    DSQL_ENDPOINTS: v.optional(
      v.pipe(
        v.string(),
        v.transform((list) =>
          list
            .split(",")
            .map((e) => e.trim())
            .filter(Boolean),
        ),
        v.minLength(1, "must list at least one endpoint"),
      ),
    ),
    DSQL_USER: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1)), "admin"),
    AWS_REGION: optionalText,
    PURCHASE_MAX_ATTEMPTS: integerFrom(12, 1, 100),
    PURCHASE_DEADLINE_MS: integerFrom(3000, 10, 60_000),
    PURCHASE_BATCH_MAX: integerFrom(64, 1, 500),
    PURCHASE_BATCHES_IN_FLIGHT: v.optional(integerFrom(1, 1, 1000)),
    PURCHASE_FORM: v.optional(v.picklist(["auto", "cte", "transaction"]), "auto"),
    PUBLIC_URL: v.optional(
      v.pipe(v.string(), v.trim(), v.url("must be a URL like https://drops.example.com")),
    ),
    SEED_DEMO: v.optional(v.picklist(["auto", "never"]), "auto"),
    COOKIE_SECURE: v.optional(v.picklist(["auto", "always", "never"]), "auto"),
    LOG_LEVEL: v.optional(v.picklist(["silent", "error", "warn", "info", "debug"]), "info"),
    LOG_PRETTY: v.optional(v.picklist(["auto", "true", "false"]), "auto"),
    HTTP_HEADERS_TIMEOUT_MS: integerFrom(10_000, 1000, 600_000),
    HTTP_REQUEST_TIMEOUT_MS: integerFrom(30_000, 1000, 600_000),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: integerFrom(5000, 100, 600_000),
    HTTP_IDLE_TIMEOUT_MS: integerFrom(60_000, 1000, 3_600_000),
    HTTP_MAX_CONNECTIONS: integerFrom(10_000, 1, 1_000_000),
    HTTP_CONNECTION_RESERVE: optionalInteger(0, 100_000),
    HTTP_PENDING_BODIES_MAX_BYTES: integerFrom(32 * 1024 * 1024, 64 * 1024, 4 * 1024 * 1024 * 1024),
    // Resident growth (MiB) that makes Bun collect garbage; 0 off; unset: see defaultGarbageBudgetMiB.
    GC_BUDGET_MIB: optionalInteger(0, 65_536),
    DRAIN_GRACE_MS: integerFrom(5000, 0, 600_000),
    DRAIN_TIMEOUT_MS: integerFrom(25_000, 100, 600_000),
    METRICS: v.optional(v.picklist(["off", "public"]), "off"),
    METRICS_TOKEN: v.optional(
      v.pipe(v.string(), v.trim(), v.minLength(16, "must be at least 16 characters")),
    ),
    TRUST_PROXY: integerFrom(0, 0, 10),
    STRIPE_SECRET_KEY: v.optional(
      v.pipe(v.string(), v.trim(), v.regex(/^(sk|rk)_/, "must be a Stripe secret key (sk_...)")),
    ),
    STRIPE_WEBHOOK_SECRET: v.optional(
      v.pipe(v.string(), v.trim(), v.regex(/^whsec_/, "must be a Stripe webhook secret (whsec_...)")),
    ),
    STRIPE_API_URL: v.optional(
      v.pipe(v.string(), v.trim(), v.url("must be a URL like http://127.0.0.1:12111")),
    ),
    PAYMENT_RECONCILE_AFTER_S: integerFrom(300, 0, 86_400),
    // A stadium behind one address, not one script: see docs/rate-limits.md and PURCHASE_RATE_DEFAULTS.
    PURCHASE_RATE_LIMIT: integerFrom(PURCHASE_RATE_DEFAULTS.perSecond, 0, 1_000_000),
    PURCHASE_RATE_BURST: integerFrom(PURCHASE_RATE_DEFAULTS.burst, 1, 1_000_000),
    PAY_RATE_LIMIT: integerFrom(20, 0, 1_000_000),
    PAY_RATE_BURST: integerFrom(200, 1, 1_000_000),
    PAY_ORDER_BURST: integerFrom(10, 1, 1000),
    DROPS_PER_HOUR: integerFrom(30, 0, 1_000_000),
    // Stress Test limits; unset means the backend's default (src/domain/stress-test/stress-limits.ts).
    STRESS_MAX_ATTEMPTS: optionalInteger(1, 200_000),
    STRESS_MAX_CONCURRENCY: optionalInteger(1, 1000),
    STRESS_MAX_RUNNING: optionalInteger(0, 100),
    STRESS_RUNS_PER_HOUR: optionalInteger(0, 100_000),
    STRESS_ATTEMPTS_PER_DAY: optionalInteger(0, 1_000_000_000),
    // Messages (docs/webhooks-and-email.md): fan email over SMTP, the dispatcher's tick, webhook addresses.
    SMTP_URL: v.optional(
      v.pipe(
        v.string(),
        v.trim(),
        v.regex(/^smtps?:\/\/[^/\s]+/i, "must be an SMTP URL like smtp://user:pass@mail.example.com:587"),
      ),
    ),
    MAIL_FROM: v.optional(
      v.pipe(v.string(), v.trim(), v.email("must be an email address like drops@example.com")),
    ),
    MESSAGES_TICK_MS: integerFrom(500, 50, 60_000),
    WEBHOOKS_ALLOW_PRIVATE: v.optional(v.picklist(["true", "false"]), "false"),
    // Seconds between a failed delivery's attempts (comma-separated); the three-day default when unset.
    MESSAGES_RETRY_SECONDS: v.optional(
      v.pipe(
        v.string(),
        v.trim(),
        v.regex(/^\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?)*$/, "must be seconds separated by commas, like 5,300,1800"),
        v.transform((list) => list.split(",").map((n) => Math.round(Number(n) * 1000))),
      ),
    ),
  }),
  v.check((env) => !env.SMTP_URL || !!env.MAIL_FROM, "SMTP_URL needs MAIL_FROM (the sender address)"),
  v.check(
    (env) => env.HTTP_KEEP_ALIVE_TIMEOUT_MS < env.HTTP_HEADERS_TIMEOUT_MS,
    "HTTP_KEEP_ALIVE_TIMEOUT_MS must be below HTTP_HEADERS_TIMEOUT_MS",
  ),
  v.check(
    (env) => env.HTTP_IDLE_TIMEOUT_MS > 15_000,
    "HTTP_IDLE_TIMEOUT_MS must be above 15000 (the live counter's heartbeat)",
  ),
  v.check(
    (env) => !((env.DSQL_ENDPOINT || env.DSQL_ENDPOINTS) && env.DATABASE_URL),
    "set either DATABASE_URL (PostgreSQL) or DSQL_ENDPOINT / DSQL_ENDPOINTS (Aurora DSQL), not both",
  ),
  v.check(
    (env) => !(env.DSQL_ENDPOINT && env.DSQL_ENDPOINTS),
    "set DSQL_ENDPOINT (one region) or DSQL_ENDPOINTS (a multi-region cluster's endpoints), not both",
  ),
  v.check((env) => !env.DSQL_ENDPOINT || !!env.AWS_REGION, "DSQL_ENDPOINT needs AWS_REGION"),
  v.check(
    (env) => (env.DSQL_ENDPOINTS ?? []).every((e) => regionOf(e, env.AWS_REGION)),
    "each of DSQL_ENDPOINTS needs its region in its name (<id>.dsql.<region>.on.aws) or AWS_REGION",
  ),
);

export type DatabaseConfig =
  | { kind: "pglite"; dataDir: string | "memory"; acquireTimeoutMs: number }
  | {
      kind: "postgres";
      url: string;
      poolSize: number;
      acquireTimeoutMs: number;
      isolation: "read committed" | "repeatable read";
      /** The server cancels a statement running longer (SQLSTATE 57014); 0 or absent = no limit. */
      statementTimeoutMs?: number;
    }
  | {
      kind: "dsql";
      /** The local endpoint: statements go here while it answers. */
      endpoint: string;
      region: string;
      /** Every endpoint of a multi-region cluster, local first, each with its own region; one for a single region. */
      endpoints: { endpoint: string; region: string }[];
      user: string;
      poolSize: number;
      acquireTimeoutMs: number;
      /** The client gives up on a statement's answer after this (DSQL has no server-side limit); 0 = none. */
      statementTimeoutMs?: number;
    };

/** `auto`: Secure cookies except on a loopback host over plain http (and always behind https). */
export type CookieSecurity = "auto" | "always" | "never";

export interface Config {
  host: string;
  port: number;
  /** The address fans and sellers use, e.g. https://drops.example.com, when it differs from the request's. */
  publicUrl: string | undefined;
  cookieSecure: CookieSecurity;
  database: DatabaseConfig;
  purchase: { maxAttempts: number; deadlineMs: number };
  /**
   * Group commit (PURCHASE_BATCH_MAX buyers per statement, 1 = off; PURCHASE_BATCHES_IN_FLIGHT statements
   * per drop at once, by default 2, the pool size on DSQL: see defaultBatchesInFlight) and the purchase's SQL form
   * (PURCHASE_FORM: auto probes the backend once; cte or transaction forces one).
   */
  engine: { batchMax: number; batchesInFlight: number; form: "auto" | "cte" | "transaction" };
  seedDemo: boolean;
  /** Reverse proxies in front whose X-Forwarded-For / -Proto are believed; 0: none, use the socket. */
  trustProxy: number;
  /** Purchases per client: `burst` at once, then `perSecond`; undefined when PURCHASE_RATE_LIMIT=0. */
  purchaseRateLimit: { perSecond: number; burst: number } | undefined;
  /**
   * Payment attempts (POST .../pay): per client `burst` at once then `perSecond` (undefined when
   * PAY_RATE_LIMIT=0), and per order PAY_ORDER_BURST at once then one every PAY_ORDER_REFILL_SECONDS.
   */
  payRateLimit:
    | { perClient: { perSecond: number; burst: number }; perOrder: { perSecond: number; burst: number } }
    | undefined;
  /** New drops one seller may create in any hour (Stress Test copies aside); undefined when DROPS_PER_HOUR=0. */
  dropsPerHour: number | undefined;
  logLevel: LogLevel;
  /** Log lines: `readable` for people, `json` for machines, `auto` readable on a terminal and JSON otherwise. */
  logLines: LogLines;
  http: HttpServerLimits;
  drain: DrainTimes;
  /**
   * Under Bun, a full collection whenever resident memory has grown this many MiB since the last one
   * (GC_BUDGET_MIB; 0 = off): see src/process/garbage-budget.ts and defaultGarbageBudgetMiB.
   */
  garbageBudgetMiB: number;
  /** "off": no /metrics; "public": anyone may scrape; "token": only with `Authorization: Bearer <token>`. */
  metrics: { mode: "off" } | { mode: "public" } | { mode: "token"; token: string };
  /** Stress Test limits set in the environment; the others keep the backend's defaults. */
  /** How hold drops are paid: the built-in test provider, or Stripe when both STRIPE_* variables are set. */
  payments:
    | { provider: "test" }
    | {
        provider: "stripe";
        secretKey: string;
        webhookSecret: string;
        /** Where the Stripe API is when not api.stripe.com (STRIPE_API_URL: stripe-mock, a test's stand-in). */
        host?: string;
        port?: number;
        protocol?: "http" | "https";
      };
  /**
   * Payment attempts left open at least this long (a crash or fault lost the provider's answer) are
   * settled by the reconciler: longer than any one payment request takes (PAYMENT_RECONCILE_AFTER_S).
   */
  paymentReconcileAfterSeconds: number;
  /**
   * Fan email and seller webhooks: `smtp` absent keeps mail in the dev mailbox; `tickMs` is how often the
   * dispatcher runs; `allowPrivate` lets webhooks reach loopback/private addresses (development and tests only).
   */
  messages: {
    smtp: { url: string; from: string } | undefined;
    tickMs: number;
    allowPrivate: boolean;
    /** Waits between a failed delivery's attempts, in ms (MESSAGES_RETRY_SECONDS); the default schedule when absent. */
    retryDelaysMs: number[] | undefined;
  };
  stressLimits: {
    maxAttempts?: number | undefined;
    maxConcurrency?: number | undefined;
    maxRunning?: number | undefined;
    runsPerHour?: number | undefined;
    attemptsPerDay?: number | undefined;
  };
}

export type LogLevel = "silent" | "error" | "warn" | "info" | "debug";
export type LogLines = "auto" | "readable" | "json";

/** How long the Node HTTP server waits for a client, and how many sockets it holds at once. */
export interface HttpServerLimits {
  /** A request's headers must have arrived this long after its first byte (or the connection). */
  headersTimeoutMs: number;
  /** The whole request, body included, must have arrived within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Any socket with no traffic either way for this long is closed. */
  idleTimeoutMs: number;
  /**
   * At this many connections the server is at its cap: beyond it only health checks and purchases are
   * served, in the reserve; anything else is answered 503 at once (docs/capacity.md).
   */
  maxConnections: number;
  /** Connections beyond the cap kept for health checks and purchases; sockets beyond cap + reserve are closed on arrival. */
  connectionReserve?: number;
  /** The most that request bodies still arriving may hold in total; the slowest are cut beyond it. */
  pendingBodiesMaxBytes?: number;
}

/** The reserve when HTTP_CONNECTION_RESERVE is not set: 2 % of the cap, at least 16. */
export const defaultConnectionReserve = (maxConnections: number): number =>
  Math.max(16, Math.ceil(maxConnections / 50));

/** SIGTERM: readiness fails at once; new connections are refused after `graceMs`; exit by `timeoutMs`. */
export interface DrainTimes {
  graceMs: number;
  timeoutMs: number;
}

export class ConfigError extends Error {}

/**
 * One payment attempt per order comes back every this many seconds once PAY_ORDER_BURST are spent: a fan
 * retyping a card is never held up, a script trying cards on one hold gets ten a minute.
 */
export const PAY_ORDER_REFILL_SECONDS = 6;

/**
 * A multi-region cluster's endpoints live in different regions, and a token signed for the wrong one is
 * refused: each endpoint's region comes from its name (`<id>.dsql.<region>.on.aws`), else AWS_REGION.
 */
function regionOf(endpoint: string, fallback: string | undefined): string | undefined {
  return /\.dsql\.([a-z0-9-]+)\.on\.aws$/i.exec(endpoint)?.[1] ?? fallback;
}

/**
 * Parses the environment into a `Config`, or throws a `ConfigError` naming every bad variable.
 * @example loadConfig({ PORT: "8080", DATABASE_URL: "postgres://127.0.0.1/test" })
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = v.safeParse(EnvSchema, env);
  if (!parsed.success) {
    const lines = parsed.issues.map((issue) => `  ${v.getDotPath(issue) ?? "environment"}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.output;
  const dsqlEndpoints = e.DSQL_ENDPOINT
    ? [{ endpoint: e.DSQL_ENDPOINT, region: e.AWS_REGION! }]
    : (e.DSQL_ENDPOINTS ?? []).map((endpoint) => ({ endpoint, region: regionOf(endpoint, e.AWS_REGION)! }));
  const database: DatabaseConfig = dsqlEndpoints[0]
    ? {
        kind: "dsql",
        ...dsqlEndpoints[0],
        endpoints: dsqlEndpoints,
        user: e.DSQL_USER,
        poolSize: e.DB_POOL_SIZE,
        acquireTimeoutMs: e.DB_ACQUIRE_TIMEOUT_MS,
        statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
      }
    : e.DATABASE_URL
      ? {
          kind: "postgres",
          url: e.DATABASE_URL,
          poolSize: e.DB_POOL_SIZE,
          acquireTimeoutMs: e.DB_ACQUIRE_TIMEOUT_MS,
          isolation: e.DB_ISOLATION,
          statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
        }
      : { kind: "pglite", dataDir: e.DATA_DIR, acquireTimeoutMs: e.DB_ACQUIRE_TIMEOUT_MS };
  return {
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL,
    cookieSecure: e.COOKIE_SECURE,
    database,
    purchase: { maxAttempts: e.PURCHASE_MAX_ATTEMPTS, deadlineMs: e.PURCHASE_DEADLINE_MS },
    engine: {
      batchMax: e.PURCHASE_BATCH_MAX,
      batchesInFlight: e.PURCHASE_BATCHES_IN_FLIGHT ?? defaultBatchesInFlight(database),
      form: e.PURCHASE_FORM,
    },
    seedDemo: e.SEED_DEMO === "auto" && database.kind === "pglite",
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    purchaseRateLimit:
      e.PURCHASE_RATE_LIMIT === 0
        ? undefined
        : { perSecond: e.PURCHASE_RATE_LIMIT, burst: e.PURCHASE_RATE_BURST },
    payRateLimit:
      e.PAY_RATE_LIMIT === 0
        ? undefined
        : {
            perClient: { perSecond: e.PAY_RATE_LIMIT, burst: e.PAY_RATE_BURST },
            perOrder: { perSecond: 1 / PAY_ORDER_REFILL_SECONDS, burst: e.PAY_ORDER_BURST },
          },
    dropsPerHour: e.DROPS_PER_HOUR === 0 ? undefined : e.DROPS_PER_HOUR,
    logLines: e.LOG_PRETTY === "auto" ? "auto" : e.LOG_PRETTY === "true" ? "readable" : "json",
    http: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      idleTimeoutMs: e.HTTP_IDLE_TIMEOUT_MS,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
      connectionReserve: e.HTTP_CONNECTION_RESERVE ?? defaultConnectionReserve(e.HTTP_MAX_CONNECTIONS),
      pendingBodiesMaxBytes: e.HTTP_PENDING_BODIES_MAX_BYTES,
    },
    drain: { graceMs: e.DRAIN_GRACE_MS, timeoutMs: e.DRAIN_TIMEOUT_MS },
    garbageBudgetMiB: e.GC_BUDGET_MIB ?? defaultGarbageBudgetMiB(database),
    metrics: e.METRICS_TOKEN
      ? { mode: "token", token: e.METRICS_TOKEN }
      : e.METRICS === "public"
        ? { mode: "public" }
        : { mode: "off" },
    payments: paymentsFrom(e.STRIPE_SECRET_KEY, e.STRIPE_WEBHOOK_SECRET, e.STRIPE_API_URL),
    paymentReconcileAfterSeconds: e.PAYMENT_RECONCILE_AFTER_S,
    messages: {
      smtp: e.SMTP_URL && e.MAIL_FROM ? { url: e.SMTP_URL, from: e.MAIL_FROM } : undefined,
      tickMs: e.MESSAGES_TICK_MS,
      allowPrivate: e.WEBHOOKS_ALLOW_PRIVATE === "true",
      retryDelaysMs: e.MESSAGES_RETRY_SECONDS,
    },
    stressLimits: {
      maxAttempts: e.STRESS_MAX_ATTEMPTS,
      maxConcurrency: e.STRESS_MAX_CONCURRENCY,
      maxRunning: e.STRESS_MAX_RUNNING,
      runsPerHour: e.STRESS_RUNS_PER_HOUR,
      attemptsPerDay: e.STRESS_ATTEMPTS_PER_DAY,
    },
  };
}

/** Stripe needs both its key and its webhook secret (an unverifiable webhook must not be trusted). */
function paymentsFrom(
  secretKey: string | undefined,
  webhookSecret: string | undefined,
  apiUrl: string | undefined,
): Config["payments"] {
  if (secretKey && webhookSecret) {
    if (!apiUrl) return { provider: "stripe", secretKey, webhookSecret };
    const url = new URL(apiUrl);
    const protocol = url.protocol === "http:" ? "http" : "https";
    const port = Number(url.port || (protocol === "http" ? 80 : 443));
    return { provider: "stripe", secretKey, webhookSecret, host: url.hostname, port, protocol };
  }
  if (secretKey || webhookSecret) {
    throw new ConfigError(
      "Invalid configuration:\n  STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set together",
    );
  }
  return { provider: "test" };
}

/**
 * Purchase statements of one drop in flight at once, unless PURCHASE_BATCHES_IN_FLIGHT says otherwise. Close
 * to the database, fewer and fuller statements cost less per unit sold: measured on PostgreSQL with 128 HTTP
 * buyers, database plus server CPU per win was 578 µs at 8 in flight, 386 µs at 4 and 312 µs at 2
 * (BENCHMARKS.md, "Statements in flight"). At DSQL's distance a statement holds its connection for a round
 * trip plus a commit, so there every pooled connection may carry one.
 */
export function defaultBatchesInFlight(database: DatabaseConfig): number {
  return database.kind === "dsql" ? database.poolSize : 2;
}

/**
 * The garbage budget when GC_BUDGET_MIB is not set: 8 MiB on the embedded database, whose WebAssembly
 * memory makes Bun's collector wait for hundreds of MiB of garbage (src/process/garbage-budget.ts), and off
 * on PostgreSQL and DSQL, where the collector's own pace keeps the heap small and the hot drop's speed is
 * worth more than a few MiB. Measured on the 1,000,000-attempt run: peak 261 MiB at 16, 251–262 MiB at 8
 * looked at every 100 ms, 235 and 244 MiB at 8 every 25 ms (BENCHMARKS.md, "Round five: the embedded
 * default's memory").
 */
export function defaultGarbageBudgetMiB(database: DatabaseConfig): number {
  return database.kind === "pglite" ? 8 : 0;
}
