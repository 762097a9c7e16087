import { describe, expect, it } from "vitest";
import {
  instantFromLocal,
  isTimeZone,
  TIME_ZONE_CACHE_LIMIT,
  timeZoneCacheSize,
} from "../src/domain/catalog/zoned-time";

/** Outside-review finding 4: the time-zone cache grew by ~26 KB per new spelling of a zone. */
describe("abuse: the time-zone cache", () => {
  it("keys by the canonical zone, so many spellings of one zone do not grow it", () => {
    expect(isTimeZone("Europe/Berlin")).toBe(true);
    const before = timeZoneCacheSize();
    const spellings = new Set<string>();
    for (let mask = 0; mask < 2 ** 12; mask++) {
      const spelled = [..."europe/berlin"].map((ch, i) => (mask & (1 << i) ? ch.toUpperCase() : ch)).join("");
      spellings.add(spelled);
      expect(isTimeZone(spelled)).toBe(true);
    }
    expect(spellings.size).toBe(2 ** 11); // the slash has no case
    expect(timeZoneCacheSize()).toBe(before);
    // Every spelling still means Berlin.
    expect(instantFromLocal("2025-12-01T18:00", "eUROPE/bERLIN").toISOString()).toBe(
      "2025-12-01T17:00:00.000Z",
    );
  });

  it("stays within its bound when every known zone is asked for", () => {
    for (const zone of Intl.supportedValuesOf("timeZone")) isTimeZone(zone.toLowerCase());
    expect(timeZoneCacheSize()).toBeLessThanOrEqual(TIME_ZONE_CACHE_LIMIT);
  });

  it("unknown zones are refused and never cached", () => {
    const before = timeZoneCacheSize();
    for (let i = 0; i < 500; i++) expect(isTimeZone(`Mars/Crater_${i}`)).toBe(false);
    expect(timeZoneCacheSize()).toBe(before);
  });
});
