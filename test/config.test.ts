import { describe, expect, it } from "vitest";
import { appOptionsFrom } from "../src/app";
import { ConfigError, loadConfig } from "../src/config";

describe("configuration", () => {
  it("needs nothing: embedded database in ./data on 127.0.0.1:3000", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 3000,
      database: { kind: "pglite", dataDir: "./data" },
      purchase: { maxAttempts: 12, deadlineMs: 3000 },
      seedDemo: true,
    });
  });

  it("uses PostgreSQL with a small bounded pool when DATABASE_URL is set, and never seeds it", () => {
    const config = loadConfig({ DATABASE_URL: "postgres://127.0.0.1/shop", DB_ISOLATION: "repeatable read" });
    expect(config.database).toEqual({
      kind: "postgres",
      url: "postgres://127.0.0.1/shop",
      poolSize: 8,
      acquireTimeoutMs: 5000,
      isolation: "repeatable read",
      statementTimeoutMs: 10_000,
    });
    expect(config.seedDemo).toBe(false);
  });

  it("bounds every PostgreSQL statement by DB_STATEMENT_TIMEOUT_MS; 0 turns the limit off", () => {
    const url = "postgres://127.0.0.1/shop";
    expect(loadConfig({ DATABASE_URL: url, DB_STATEMENT_TIMEOUT_MS: "250" }).database).toMatchObject({
      statementTimeoutMs: 250,
    });
    expect(loadConfig({ DATABASE_URL: url, DB_STATEMENT_TIMEOUT_MS: "0" }).database).toMatchObject({
      statementTimeoutMs: 0,
    });
    expect(() => loadConfig({ DATABASE_URL: url, DB_STATEMENT_TIMEOUT_MS: "-1" })).toThrow(
      /DB_STATEMENT_TIMEOUT_MS/,
    );
  });

  it("settles payment attempts left open for PAYMENT_RECONCILE_AFTER_S seconds, 300 by default", () => {
    expect(loadConfig({}).paymentReconcileAfterSeconds).toBe(300);
    expect(loadConfig({ PAYMENT_RECONCILE_AFTER_S: "5" }).paymentReconcileAfterSeconds).toBe(5);
    expect(() => loadConfig({ PAYMENT_RECONCILE_AFTER_S: "-1" })).toThrow(/PAYMENT_RECONCILE_AFTER_S/);
    expect(() => loadConfig({ PAYMENT_RECONCILE_AFTER_S: "soon" })).toThrow(/PAYMENT_RECONCILE_AFTER_S/);
  });

  it("points the Stripe provider at STRIPE_API_URL when set (stripe-mock, a test's stand-in)", () => {
    const stripe = { STRIPE_SECRET_KEY: "sk_test_abc", STRIPE_WEBHOOK_SECRET: "whsec_abc" };
    expect(loadConfig({ ...stripe, STRIPE_API_URL: "http://127.0.0.1:12111" }).payments).toEqual({
      provider: "stripe",
      secretKey: "sk_test_abc",
      webhookSecret: "whsec_abc",
      host: "127.0.0.1",
      port: 12111,
      protocol: "http",
    });
    expect(loadConfig(stripe).payments).not.toHaveProperty("host");
    expect(() => loadConfig({ ...stripe, STRIPE_API_URL: "stripe" })).toThrow(/STRIPE_API_URL/);
  });

  it("keeps the embedded database in memory with DATA_DIR=memory", () => {
    expect(loadConfig({ DATA_DIR: "memory", PORT: "8080", HOST: "0.0.0.0" })).toMatchObject({
      host: "0.0.0.0",
      port: 8080,
      database: { kind: "pglite", dataDir: "memory" },
    });
  });

  it("names every bad variable in one clear error", () => {
    expect(() => loadConfig({ PORT: "eighty", DB_POOL_SIZE: "0", DB_ISOLATION: "serializable" })).toThrow(
      ConfigError,
    );
    try {
      loadConfig({ PORT: "eighty", DB_POOL_SIZE: "0", DB_ISOLATION: "serializable" });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain("PORT: must be a whole number");
      expect(message).toContain("DB_POOL_SIZE: must be at least 1");
      expect(message).toContain("DB_ISOLATION");
    }
  });

  it("reads the messages settings: SMTP with its sender, the tick, private webhooks, the retry waits", () => {
    expect(loadConfig({}).messages).toEqual({
      smtp: undefined,
      tickMs: 500,
      allowPrivate: false,
      retryDelaysMs: undefined,
    });
    const config = loadConfig({
      SMTP_URL: "smtps://user:pass@mail.example.com:465",
      MAIL_FROM: "drops@example.com",
      MESSAGES_TICK_MS: "250",
      WEBHOOKS_ALLOW_PRIVATE: "true",
      MESSAGES_RETRY_SECONDS: "1, 2.5,60",
    });
    expect(config.messages).toEqual({
      smtp: { url: "smtps://user:pass@mail.example.com:465", from: "drops@example.com" },
      tickMs: 250,
      allowPrivate: true,
      retryDelaysMs: [1000, 2500, 60_000],
    });
    expect(appOptionsFrom(config).messages?.schedule?.retryDelaysMs).toEqual([1000, 2500, 60_000]);
    expect(() => loadConfig({ SMTP_URL: "smtp://mail.example.com" })).toThrow(/SMTP_URL needs MAIL_FROM/);
    expect(() => loadConfig({ SMTP_URL: "http://mail.example.com", MAIL_FROM: "a@example.com" })).toThrow(
      /SMTP_URL/,
    );
    expect(() => loadConfig({ MAIL_FROM: "not an address" })).toThrow(/MAIL_FROM/);
    expect(() => loadConfig({ MESSAGES_RETRY_SECONDS: "5,soon" })).toThrow(/MESSAGES_RETRY_SECONDS/);
  });

  it("reads Stress Test limits when set and leaves the rest to the backend's defaults", () => {
    expect(loadConfig({}).stressLimits).toEqual({
      maxAttempts: undefined,
      maxConcurrency: undefined,
      maxRunning: undefined,
      runsPerHour: undefined,
      attemptsPerDay: undefined,
    });
    const config = loadConfig({
      STRESS_MAX_RUNNING: "0",
      STRESS_RUNS_PER_HOUR: "3",
      STRESS_ATTEMPTS_PER_DAY: "5000",
    });
    expect(appOptionsFrom(config).stressLimits).toMatchObject({
      maxRunning: 0,
      runsPerHour: 3,
      attemptsPerDay: 5000,
    });
    expect(() => loadConfig({ STRESS_MAX_ATTEMPTS: "200001" })).toThrow(
      "STRESS_MAX_ATTEMPTS: must be at most 200000",
    );
    expect(() => loadConfig({ STRESS_MAX_CONCURRENCY: "lots" })).toThrow(
      "STRESS_MAX_CONCURRENCY: must be a whole number",
    );
  });

  it("group commit and the purchase form: defaults per backend, and each setting taken", () => {
    expect(loadConfig({}).engine).toEqual({ batchMax: 64, batchesInFlight: 2, form: "auto" });
    expect(loadConfig({ DATABASE_URL: "postgres://127.0.0.1/shop", DB_POOL_SIZE: "12" }).engine).toEqual({
      batchMax: 64,
      batchesInFlight: 2,
      form: "auto",
    });
    // At DSQL's distance every pooled connection may carry a statement.
    const dsql = { DSQL_ENDPOINT: "abc.dsql.us-east-1.on.aws", AWS_REGION: "us-east-1", DB_POOL_SIZE: "12" };
    expect(loadConfig(dsql).engine.batchesInFlight).toBe(12);
    const set = loadConfig({
      PURCHASE_BATCH_MAX: "1",
      PURCHASE_BATCHES_IN_FLIGHT: "3",
      PURCHASE_FORM: "transaction",
    });
    expect(set.engine).toEqual({ batchMax: 1, batchesInFlight: 3, form: "transaction" });
    expect(appOptionsFrom(set).engine).toEqual(set.engine);
    expect(() => loadConfig({ PURCHASE_BATCH_MAX: "0" })).toThrow("PURCHASE_BATCH_MAX: must be at least 1");
    expect(() => loadConfig({ PURCHASE_FORM: "magic" })).toThrow(ConfigError);
  });

  it("hands the purchase retry budget and the rest to the app", () => {
    const options = appOptionsFrom(
      loadConfig({
        PURCHASE_MAX_ATTEMPTS: "3",
        PURCHASE_DEADLINE_MS: "750",
        PUBLIC_URL: "https://drops.example.com",
        COOKIE_SECURE: "always",
        LOG_LEVEL: "debug",
      }),
    );
    expect(options.retryPolicy).toMatchObject({ maxAttempts: 3, deadlineMs: 750 });
    expect(options).toMatchObject({
      publicUrl: "https://drops.example.com",
      cookieSecure: "always",
      metricsAccess: { mode: "off" },
    });
  });

  it("limits payment attempts per client and per order by default; PAY_RATE_LIMIT=0 turns it off", () => {
    expect(loadConfig({}).payRateLimit).toEqual({
      perClient: { perSecond: 20, burst: 200 },
      perOrder: { perSecond: 1 / 6, burst: 10 },
    });
    const set = loadConfig({ PAY_RATE_LIMIT: "5", PAY_RATE_BURST: "50", PAY_ORDER_BURST: "3" });
    expect(appOptionsFrom(set).payRateLimit).toEqual({
      perClient: { perSecond: 5, burst: 50 },
      perOrder: { perSecond: 1 / 6, burst: 3 },
    });
    expect(loadConfig({ PAY_RATE_LIMIT: "0" }).payRateLimit).toBeUndefined();
    expect(() => loadConfig({ PAY_ORDER_BURST: "0" })).toThrow("PAY_ORDER_BURST: must be at least 1");
  });

  it("bounds garbage by 8 MiB of growth on the embedded database only; GC_BUDGET_MIB sets it, 0 turns it off", () => {
    expect(loadConfig({}).garbageBudgetMiB).toBe(8);
    expect(loadConfig({ DATABASE_URL: "postgres://127.0.0.1/shop" }).garbageBudgetMiB).toBe(0);
    expect(loadConfig({ GC_BUDGET_MIB: "32" }).garbageBudgetMiB).toBe(32);
    expect(loadConfig({ GC_BUDGET_MIB: "0" }).garbageBudgetMiB).toBe(0);
    expect(
      loadConfig({ DATABASE_URL: "postgres://127.0.0.1/shop", GC_BUDGET_MIB: "8" }).garbageBudgetMiB,
    ).toBe(8);
    expect(() => loadConfig({ GC_BUDGET_MIB: "16MB" })).toThrow(/GC_BUDGET_MIB: must be a whole number/);
  });

  it("limits new drops per seller to DROPS_PER_HOUR (30 by default); 0 turns it off", () => {
    expect(loadConfig({}).dropsPerHour).toBe(30);
    expect(appOptionsFrom(loadConfig({ DROPS_PER_HOUR: "5" })).dropsPerHour).toBe(5);
    expect(loadConfig({ DROPS_PER_HOUR: "0" }).dropsPerHour).toBeUndefined();
  });

  it("limits purchases per client address for a stadium behind one address, not for one script", () => {
    expect(loadConfig({}).purchaseRateLimit).toEqual({ perSecond: 200, burst: 1000 });
    expect(loadConfig({ PURCHASE_RATE_LIMIT: "0" }).purchaseRateLimit).toBeUndefined();
  });
});
