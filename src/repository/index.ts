/**
 * Every statement the app sends to the database: the one repository module, split by subject. One
 * function per query, the database as first argument, parameters as $n with explicit casts. The same SQL
 * runs on PGlite, PostgreSQL and Aurora DSQL.
 * @example import * as repo from "../repository"; await repo.attemptPurchase(db, attempt);
 */
export * from "./bench";
export * from "./brands";
export * from "./checkout-audit";
export * from "./dashboard";
export * from "./drop-lifecycle";
export * from "./drops";
export * from "./events";
export * from "./holds";
export * from "./images";
export * from "./operations";
export * from "./orders";
export * from "./outbox";
export * from "./payment-attempts";
export * from "./purchase";
export * from "./seller-sessions";
export * from "./sellers";
export * from "./sign-in-failures";
export * from "./statistics";
export * from "./storefront";
export * from "./stress-tests";
export * from "./transfer";
export * from "./webhooks";
