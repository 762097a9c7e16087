/**
 * The stampede runner: many new fans buy one drop at once over real HTTP, and the drop's own audit and
 * order list decide whether exactly the stock was sold. Used by `npm run stampede`, `npm run bench` and
 * the dashboard's stress test; dependency-free apart from Node's fetch.
 */
export * from "./drop-api";
export { LatencyHistogram } from "./latency-histogram";
export { auditStampede, buildReceipt, formatReceipt, type LatencySummary, type Receipt } from "./receipt";
export * from "./run-stampede";
export { runWorkers } from "./workers";
