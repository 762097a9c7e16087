import { isoWithOffset } from "../../src/domain/catalog/zoned-time";
import { type Clock, systemClock } from "../../src/domain/clock";

/**
 * The tests' one clock. Apps under test read the same one (createApp's default is the system clock), so a
 * date built here is "in a week" whatever the calendar says. `npm run test:calendar` runs the suites that
 * use dates with the whole process (PGlite's `now()` included) moved a year ahead to prove no date is pinned.
 * Pure functions that take a clock (parseNewDrop, dropBodies) get a fixed one instead: `fixedClock(at)`.
 */
export const testClock: Clock = systemClock;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
export const YEAR_MS = 365 * DAY_MS;

/** A clock that always says `at` (a Date, an ISO text or milliseconds). */
export const fixedClock = (at: Date | string | number): Clock => {
  const ms = typeof at === "number" ? at : new Date(at).getTime();
  return () => ms;
};

/** The instant `offsetMs` from the test clock's now. */
export const fromNow = (offsetMs: number, clock: Clock = testClock): Date => new Date(clock() + offsetMs);

/** An ISO 8601 instant in UTC, `offsetMs` from now, as the API takes it (e.g. `isoFromNow(30 * DAY_MS)`). */
export const isoFromNow = (offsetMs: number, clock: Clock = testClock): string =>
  fromNow(offsetMs, clock).toISOString();

/**
 * A wall-clock "YYYY-MM-DDTHH:MM" in `zone`, `offsetMs` from now and rounded down to the minute, as the
 * seller's form (a datetime-local field) takes it.
 */
export const localFromNow = (offsetMs: number, zone = "UTC", clock: Clock = testClock): string =>
  isoWithOffset(fromNow(offsetMs, clock), zone).slice(0, 16);

/** The calendar year `years` from now (e.g. to build a date that is surely real but in the future). */
export const yearFromNow = (years: number, clock: Clock = testClock): number =>
  new Date(clock()).getUTCFullYear() + years;

/** The first leap year after this one (for a 29 February that lies ahead). */
export function nextLeapYear(clock: Clock = testClock): number {
  let year = yearFromNow(1, clock);
  while (!(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) year++;
  return year;
}
