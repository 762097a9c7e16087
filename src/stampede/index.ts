/**
 * The stampede runner: many new fans buy one drop at once over real HTTP, and the drop's own audit and
 * order list decide whether exactly the stock was sold. Used by `npm run stampede`, `npm run bench` and
 * the dashboard's stress test. Dependency-free: node:http for the purchases, fetch for the few API calls.
 */
export * from "./drop-api";
export { type KeepAliveClient, keepAliveClient, type PlainAnswer } from "./keep-alive-client";
export { LatencyHistogram } from "./latency-histogram";
export { auditStampede, buildReceipt, formatReceipt, type LatencySummary, type Receipt } from "./receipt";
export * from "./run-stampede";
export { runWorkers } from "./workers";
