/**
 * The books: the seller's dashboard, the sales timeline, the orders export and moving a shop between databases.
 * This file is the folder's public face: the rest of the app imports the capability from here.
 */
export * from "./dashboard";
export * from "./orders-export";
export * from "./sales-timeline";
export * from "./shop-transfer";
