/**
 * The purchase engine: exactly N under any stampede — group commit (PurchaseBatcher), retries, the stock plan, the sold-out memory, the per-fan identity key.
 * This file is the folder's public face: the rest of the app imports the capability from here.
 */
export * from "./drop-cache";
export * from "./fan-identity";
export * from "./planner-statistics";
export * from "./purchase";
export * from "./purchase-batcher";
export * from "./retry";
export * from "./stock-plan";
export * from "./variants";
export * from "./winner-keys";
