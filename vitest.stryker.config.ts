import { defineConfig } from "vitest/config";
import base from "./vitest.config";

/**
 * The suites `npm run mutation` (stryker.config.mjs) runs against each mutant: those that exercise the
 * purchase and checkout modules and finish in seconds. The stampedes (contention*.test.ts) cover the same
 * code but take minutes per run; their guards have deterministic tests in teeth-*.test.ts instead
 * (teeth-supply.test.ts, a stampede itself, is left out too). The returned units and variants of instant
 * drops (contention-orders, contention-variants: stampedes too) are held by teeth-returns.test.ts, which
 * calls the purchase statement directly in both forms; orders-api and checkout-variants are the round's
 * focused suites for refunds, cancels and hold drops' variants. The fairness proofs that reach `returnUnits`'
 * hand-off to a waitlist (fairness-waitlist-proof: 500 fans, 40 rounds) take minutes per mutant; its guard is
 * held by teeth-waitlist.test.ts instead.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: [
      "test/teeth-schema.test.ts",
      "test/teeth-holds.test.ts",
      "test/teeth-interleave.test.ts",
      "test/teeth-retry.test.ts",
      "test/teeth-checkout.test.ts",
      "test/purchase-batcher.test.ts",
      "test/teeth-batcher.test.ts",
      "test/retry.test.ts",
      "test/idempotency-key-reuse.test.ts",
      "test/checkout-api.test.tsx",
      "test/purchase-form.test.ts",
      "test/purchase-faults.test.ts",
      "test/checkout-settle-faults.test.ts",
      "test/orders-api.test.ts",
      "test/checkout-variants.test.ts",
      "test/teeth-returns.test.ts",
      "test/teeth-waitlist.test.ts",
      "test/teeth-holds-orders.test.ts",
      "test/teeth-payment-attempts.test.ts",
    ],
  },
});
