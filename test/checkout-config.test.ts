import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config";

describe("payment configuration", () => {
  it("uses the built-in test provider with no configuration", () => {
    expect(loadConfig({}).payments).toEqual({ provider: "test" });
  });

  it("uses Stripe when both its key and its webhook secret are set", () => {
    const config = loadConfig({ STRIPE_SECRET_KEY: "sk_test_abc", STRIPE_WEBHOOK_SECRET: "whsec_abc" });
    expect(config.payments).toEqual({
      provider: "stripe",
      secretKey: "sk_test_abc",
      webhookSecret: "whsec_abc",
    });
  });

  it("refuses one without the other, and values that are not Stripe's", () => {
    expect(() => loadConfig({ STRIPE_SECRET_KEY: "sk_test_abc" })).toThrow(ConfigError);
    expect(() => loadConfig({ STRIPE_WEBHOOK_SECRET: "whsec_abc" })).toThrow(/set together/);
    expect(() => loadConfig({ STRIPE_SECRET_KEY: "pk_live", STRIPE_WEBHOOK_SECRET: "whsec_abc" })).toThrow(
      /STRIPE_SECRET_KEY/,
    );
  });
});
