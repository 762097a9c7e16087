/**
 * Every statement the app sends to the database: the one repository module, split by subject. One
 * function per query, the database as first argument, parameters as $n with explicit casts. The same SQL
 * runs on PGlite, PostgreSQL and Aurora DSQL. Grouped by capability, as src/domain/ is; rows.ts maps rows.
 * @example import * as repo from "../repository"; await repo.attemptPurchase(db, attempt);
 */
// catalog and drops

// accounts
export * from "./accounts/seller-sessions";
export * from "./accounts/sellers";
export * from "./accounts/sign-in-failures";
// the books
export * from "./books/dashboard";
export * from "./books/operations";
export * from "./books/orders";
export * from "./books/transfer";
export * from "./catalog/brands";
export * from "./catalog/drop-lifecycle";
export * from "./catalog/drops";
export * from "./catalog/images";
export * from "./catalog/storefront";
export * from "./catalog/variants";
// checkout and payments
export * from "./checkout/holds";
export * from "./checkout/payment-attempts";
// fairness (draws, waitlists, offers)
export * from "./fairness/draws";
// fairness (verified fans, notify-me)
export * from "./fairness/fan-codes";
export * from "./fairness/notify-signups";
export * from "./fairness/offers";
// messages (the outbox, webhooks, mail)
export * from "./messages/events";
export * from "./messages/outbox";
export * from "./messages/webhooks";
// order management (shipping, refund, cancel, fulfil)
export * from "./orders/manage";
// the purchase engine
export * from "./purchase/bench";
export * from "./purchase/purchase";
export * from "./purchase/statistics";
// the Stress Test
export * from "./stress-test/checkout-audit";
export * from "./stress-test/stress-tests";
