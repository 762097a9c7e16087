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

const optionalText = v.optional(v.pipe(v.string(), v.trim(), v.minLength(1, "must not be empty")));

const EnvSchema = v.pipe(
  v.object({
    HOST: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1)), "127.0.0.1"),
    PORT: integerFrom(3000, 0, 65535),
    DATA_DIR: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1)), "./data"),
    DATABASE_URL: optionalText,
    DB_POOL_SIZE: integerFrom(8, 1, 1000),
    DB_ACQUIRE_TIMEOUT_MS: integerFrom(5000, 10, 600_000),
    DB_ISOLATION: v.optional(v.picklist(["read committed", "repeatable read"]), "read committed"),
    DSQL_ENDPOINT: optionalText,
    DSQL_USER: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1)), "admin"),
    AWS_REGION: optionalText,
    PURCHASE_MAX_ATTEMPTS: integerFrom(12, 1, 100),
    PURCHASE_DEADLINE_MS: integerFrom(3000, 10, 60_000),
    PUBLIC_URL: v.optional(
      v.pipe(v.string(), v.trim(), v.url("must be a URL like https://drops.example.com")),
    ),
    SEED_DEMO: v.optional(v.picklist(["auto", "never"]), "auto"),
    COOKIE_SECURE: v.optional(v.picklist(["auto", "always", "never"]), "auto"),
    LOG_LEVEL: v.optional(v.picklist(["silent", "error", "warn", "info", "debug"]), "info"),
    LOG_PRETTY: v.optional(v.picklist(["true", "false"]), "false"),
    HTTP_HEADERS_TIMEOUT_MS: integerFrom(10_000, 1000, 600_000),
    HTTP_REQUEST_TIMEOUT_MS: integerFrom(30_000, 1000, 600_000),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: integerFrom(5000, 100, 600_000),
    HTTP_IDLE_TIMEOUT_MS: integerFrom(60_000, 1000, 3_600_000),
    HTTP_MAX_CONNECTIONS: integerFrom(10_000, 1, 1_000_000),
    DRAIN_GRACE_MS: integerFrom(5000, 0, 600_000),
    DRAIN_TIMEOUT_MS: integerFrom(25_000, 100, 600_000),
    METRICS: v.optional(v.picklist(["off", "public"]), "off"),
    METRICS_TOKEN: v.optional(
      v.pipe(v.string(), v.trim(), v.minLength(16, "must be at least 16 characters")),
    ),
  }),
  v.check(
    (env) => env.HTTP_KEEP_ALIVE_TIMEOUT_MS < env.HTTP_HEADERS_TIMEOUT_MS,
    "HTTP_KEEP_ALIVE_TIMEOUT_MS must be below HTTP_HEADERS_TIMEOUT_MS",
  ),
  v.check(
    (env) => env.HTTP_IDLE_TIMEOUT_MS > 15_000,
    "HTTP_IDLE_TIMEOUT_MS must be above 15000 (the live counter's heartbeat)",
  ),
  v.check(
    (env) => !(env.DSQL_ENDPOINT && env.DATABASE_URL),
    "set either DATABASE_URL (PostgreSQL) or DSQL_ENDPOINT (Aurora DSQL), not both",
  ),
  v.check((env) => !env.DSQL_ENDPOINT || !!env.AWS_REGION, "DSQL_ENDPOINT needs AWS_REGION"),
);

export type DatabaseConfig =
  | { kind: "pglite"; dataDir: string | "memory"; acquireTimeoutMs: number }
  | {
      kind: "postgres";
      url: string;
      poolSize: number;
      acquireTimeoutMs: number;
      isolation: "read committed" | "repeatable read";
    }
  | {
      kind: "dsql";
      endpoint: string;
      region: string;
      user: string;
      poolSize: number;
      acquireTimeoutMs: number;
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
  seedDemo: boolean;
  logLevel: LogLevel;
  /** Human-readable log lines (pino-pretty, a dev dependency) when stdout is a terminal; JSON otherwise. */
  logPretty: boolean;
  http: HttpServerLimits;
  drain: DrainTimes;
  /** "off": no /metrics; "public": anyone may scrape; "token": only with `Authorization: Bearer <token>`. */
  metrics: { mode: "off" } | { mode: "public" } | { mode: "token"; token: string };
}

export type LogLevel = "silent" | "error" | "warn" | "info" | "debug";

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
  /** Sockets beyond this many are closed on arrival. */
  maxConnections: number;
}

/** SIGTERM: readiness fails at once; new connections are refused after `graceMs`; exit by `timeoutMs`. */
export interface DrainTimes {
  graceMs: number;
  timeoutMs: number;
}

export class ConfigError extends Error {}

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
  const database: DatabaseConfig = e.DSQL_ENDPOINT
    ? {
        kind: "dsql",
        endpoint: e.DSQL_ENDPOINT,
        region: e.AWS_REGION!,
        user: e.DSQL_USER,
        poolSize: e.DB_POOL_SIZE,
        acquireTimeoutMs: e.DB_ACQUIRE_TIMEOUT_MS,
      }
    : e.DATABASE_URL
      ? {
          kind: "postgres",
          url: e.DATABASE_URL,
          poolSize: e.DB_POOL_SIZE,
          acquireTimeoutMs: e.DB_ACQUIRE_TIMEOUT_MS,
          isolation: e.DB_ISOLATION,
        }
      : { kind: "pglite", dataDir: e.DATA_DIR, acquireTimeoutMs: e.DB_ACQUIRE_TIMEOUT_MS };
  return {
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL,
    cookieSecure: e.COOKIE_SECURE,
    database,
    purchase: { maxAttempts: e.PURCHASE_MAX_ATTEMPTS, deadlineMs: e.PURCHASE_DEADLINE_MS },
    seedDemo: e.SEED_DEMO === "auto" && database.kind === "pglite",
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY === "true",
    http: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      idleTimeoutMs: e.HTTP_IDLE_TIMEOUT_MS,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
    },
    drain: { graceMs: e.DRAIN_GRACE_MS, timeoutMs: e.DRAIN_TIMEOUT_MS },
    metrics: e.METRICS_TOKEN
      ? { mode: "token", token: e.METRICS_TOKEN }
      : e.METRICS === "public"
        ? { mode: "public" }
        : { mode: "off" },
  };
}
