/**
 * The app's idea of "now", in milliseconds since the epoch. Every check that compares an input with the
 * present (a go-live "not in the past", "within ten years") reads this one function, never `Date.now()`
 * directly, so a test injects one clock and its dates are built from it (see test/support/clock.ts).
 * What is live, held or expired is the database's clock (`now()` in SQL), not this one.
 * @example createApp({ db, clock: () => Date.parse("2030-01-01T00:00:00Z") })
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
