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
    LOG_LEVEL: v.optional(v.picklist(["silent", "info", "debug"]), "info"),
    // Stress Test limits; unset means the backend's default (src/domain/stress-limits.ts).
    STRESS_MAX_ATTEMPTS: optionalInteger(1, 200_000),
    STRESS_MAX_CONCURRENCY: optionalInteger(1, 1000),
    STRESS_MAX_RUNNING: optionalInteger(0, 100),
    STRESS_RUNS_PER_HOUR: optionalInteger(0, 100_000),
    STRESS_ATTEMPTS_PER_DAY: optionalInteger(0, 1_000_000_000),
  }),
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
  logLevel: "silent" | "info" | "debug";
  /** Stress Test limits set in the environment; the others keep the backend's defaults. */
  stressLimits: {
    maxAttempts?: number | undefined;
    maxConcurrency?: number | undefined;
    maxRunning?: number | undefined;
    runsPerHour?: number | undefined;
    attemptsPerDay?: number | undefined;
  };
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
    stressLimits: {
      maxAttempts: e.STRESS_MAX_ATTEMPTS,
      maxConcurrency: e.STRESS_MAX_CONCURRENCY,
      maxRunning: e.STRESS_MAX_RUNNING,
      runsPerHour: e.STRESS_RUNS_PER_HOUR,
      attemptsPerDay: e.STRESS_ATTEMPTS_PER_DAY,
    },
  };
}
