/**
 * The Stress Test: a rehearsal copy of a drop raced by real HTTP buyers, its limits and quotas, progress and the audited receipt.
 * This file is the folder's public face: the rest of the app imports the capability from here.
 */
export * from "./checkout-audit";
export * from "./rehearsal-marker";
export * from "./stress-limits";
export * from "./stress-quota";
export * from "./stress-test";
export * from "./stress-test-progress";
