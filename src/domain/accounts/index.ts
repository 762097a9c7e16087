/**
 * Accounts: sellers, passwords and sessions, the sign-in throttle.
 * This file is the folder's public face: the rest of the app imports the capability from here.
 */
export * from "./secrets";
export * from "./seller-account";
export * from "./sign-in-throttle";
