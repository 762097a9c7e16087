/**
 * Wall-clock times in a named time zone, converted with the runtime's own time-zone data (Intl), so a
 * seller in Berlin who types 18:00 gets 18:00 Berlin time, daylight saving included.
 */

import { LRUCache } from "lru-cache";

/**
 * Formatters by canonical zone name. Building one costs ~26 KB, and zone names arrive from forms in any
 * letter case, so the key is the canonical name (what Intl's resolvedOptions() reports) and the cache is
 * an LRU: at most this many zones at once, however many spellings or zones are posted.
 */
export const TIME_ZONE_CACHE_LIMIT = 64;
const formatters = new LRUCache<string, Intl.DateTimeFormat>({ max: TIME_ZONE_CACHE_LIMIT });

/** For tests: how many formatters are held. */
export const timeZoneCacheSize = (): number => formatters.size;

/** The runtime's zones by lower-case name: the fast way to the canonical spelling (a fixed set). */
const KNOWN_ZONES = new Map(
  ["UTC", ...Intl.supportedValuesOf("timeZone")].map((zone) => [zone.toLowerCase(), zone]),
);

/**
 * The canonical name of a zone in any spelling ("europe/BERLIN" -> "Europe/Berlin"); aliases outside the
 * runtime's list ("Asia/Kolkata" where it lists "Asia/Calcutta") are asked of Intl, which throws a
 * RangeError for a zone it does not know.
 */
function canonicalZone(name: string): string {
  return (
    KNOWN_ZONES.get(name.toLowerCase()) ??
    new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone
  );
}

function partsFormatter(name: string): Intl.DateTimeFormat {
  const timeZone = canonicalZone(name);
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * ICU (and so Intl.supportedValuesOf) still names some zones by IANA's deprecated links: "Asia/Calcutta"
 * for Asia/Kolkata, "Europe/Kiev" for Europe/Kyiv. These are the current IANA names (tzdata's `backward`
 * file lists the old ones as links); Intl accepts both spellings.
 */
const CURRENT_NAME: Record<string, string> = {
  "Africa/Asmera": "Africa/Asmara",
  "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
  "America/Catamarca": "America/Argentina/Catamarca",
  "America/Coral_Harbour": "America/Atikokan",
  "America/Cordoba": "America/Argentina/Cordoba",
  "America/Godthab": "America/Nuuk",
  "America/Indianapolis": "America/Indiana/Indianapolis",
  "America/Jujuy": "America/Argentina/Jujuy",
  "America/Louisville": "America/Kentucky/Louisville",
  "America/Mendoza": "America/Argentina/Mendoza",
  "Asia/Calcutta": "Asia/Kolkata",
  "Asia/Katmandu": "Asia/Kathmandu",
  "Asia/Rangoon": "Asia/Yangon",
  "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Atlantic/Faeroe": "Atlantic/Faroe",
  "Europe/Kiev": "Europe/Kyiv",
  "Pacific/Enderbury": "Pacific/Kanton",
  "Pacific/Ponape": "Pacific/Pohnpei",
  "Pacific/Truk": "Pacific/Chuuk",
};

/** The current IANA name of a zone, for one the runtime knows by a deprecated link. */
export const currentZoneName = (zone: string): string => CURRENT_NAME[zone] ?? zone;

/**
 * Every zone the runtime knows, by its current IANA name, UTC first: the choices offered next to a
 * date-time field (the browser's own zone is moved to the top by dashboard.js).
 */
export const TIME_ZONES: readonly string[] = [
  "UTC",
  ...[...new Set(Intl.supportedValuesOf("timeZone").map(currentZoneName))]
    .filter((zone) => zone !== "UTC" && isTimeZone(zone))
    .sort(),
];

/**
 * Whether the runtime knows the zone. Browsers may report aliases missing from TIME_ZONES
 * ("Asia/Kolkata" where the list has "Asia/Calcutta"), so the runtime is asked, not the list.
 */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return false;
  try {
    partsFormatter(name);
    return true;
  } catch {
    return false;
  }
}

/** Minutes the zone is ahead of UTC at the given instant (+60 for Berlin in winter). */
export function offsetMinutes(instantMs: number, timeZone: string): number {
  const parts = partsFormatter(timeZone).formatToParts(new Date(instantMs));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return Math.round((wall - Math.floor(instantMs / 1000) * 1000) / 60_000);
}

/**
 * The instant at which clocks in `timeZone` show `local` ("2026-12-01T18:00", as a datetime-local input
 * sends it). A reading skipped by a daylight-saving jump moves forward by the jump (02:30 becomes 03:30).
 * @example instantFromLocal("2026-12-01T18:00", "Europe/Berlin").toISOString() // "2026-12-01T17:00:00.000Z"
 */
export function instantFromLocal(local: string, timeZone: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) return new Date(Number.NaN);
  const [year, month, day, hour, minute, second] = m.slice(1).map((n) => Number(n ?? 0)) as number[];
  const wall = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  // Date.UTC rolls 30 February over into March; a reading that is not a real date is refused instead.
  const check = new Date(wall);
  if (check.getUTCMonth() !== month! - 1 || check.getUTCDate() !== day! || hour! > 23 || minute! > 59) {
    return new Date(Number.NaN);
  }
  // The offset at the guessed instant may differ from the one at the answer near a DST change: ask twice.
  const guess = wall - offsetMinutes(wall, timeZone) * 60_000;
  return new Date(wall - offsetMinutes(guess, timeZone) * 60_000);
}

/** ISO 8601 with the zone's offset, e.g. "2026-12-01T18:00:00+01:00". */
export function isoWithOffset(instant: Date, timeZone: string): string {
  const offset = offsetMinutes(instant.getTime(), timeZone);
  const local = new Date(instant.getTime() + offset * 60_000).toISOString().slice(0, 19);
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}
