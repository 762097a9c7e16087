/**
 * Checkout and payments: holds and their expiry, paying through a provider (test or Stripe), and the reconciler that settles every payment attempt.
 * This file is the folder's public face: the rest of the app imports the capability from here.
 */
export * from "./checkout";
export * from "./hold-sweeper";
export * from "./payment-reconciler";
export * from "./payments";
export * from "./stripe-payments";
