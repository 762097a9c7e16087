import { describe, expect, test } from "vitest";
import { instantFromLocal, isoWithOffset, isTimeZone, offsetMinutes } from "../src/domain/catalog/zoned-time";
import { parseNewDrop } from "../src/web/seller/seller-forms";
import { formatDuration, formatMoney, sellThrough } from "../views/seller/format";
import { fixedClock } from "./support/clock";

// Pure functions get a fixed clock: the form's go-live (a year after it) is checked against it, not the calendar.
const clock = fixedClock("2029-12-01T18:00:00Z");
const form = {
  title: "Tee",
  description: "",
  price: "25.00",
  currency: "usd",
  quantity: "10",
  maxPerFan: "1",
  startsAt: "2030-12-01T18:00",
  timeZone: "UTC",
};

describe("instantFromLocal", () => {
  test.each([
    ["2025-12-01T18:00", "Europe/Berlin", "2025-12-01T17:00:00.000Z"],
    ["2026-07-01T18:00", "Europe/Berlin", "2026-07-01T16:00:00.000Z"],
    ["2025-12-01T18:00", "America/Los_Angeles", "2025-12-02T02:00:00.000Z"],
    ["2025-12-01T18:00", "Asia/Kolkata", "2025-12-01T12:30:00.000Z"],
    ["2025-12-01T18:00:30", "UTC", "2025-12-01T18:00:30.000Z"],
    // 02:30 does not happen in Berlin on 29 March 2026; it moves forward by the jump.
    ["2026-03-29T02:30", "Europe/Berlin", "2026-03-29T01:30:00.000Z"],
  ])("%s in %s is %s", (local, zone, iso) => {
    expect(instantFromLocal(local, zone).toISOString()).toBe(iso);
  });

  test.each(["2026-02-30T10:00", "2026-13-01T10:00", "2025-12-01T24:00", "2025-12-01", "tomorrow"])(
    "%s is not a time",
    (local) => {
      expect(Number.isNaN(instantFromLocal(local, "UTC").getTime())).toBe(true);
    },
  );

  test("offsets and ISO strings carry the zone's offset at that instant", () => {
    expect(offsetMinutes(Date.parse("2026-01-15T12:00:00Z"), "Europe/Berlin")).toBe(60);
    expect(offsetMinutes(Date.parse("2026-07-15T12:00:00Z"), "America/New_York")).toBe(-240);
    expect(isoWithOffset(new Date("2025-12-01T12:30:00Z"), "Asia/Kolkata")).toBe("2025-12-01T18:00:00+05:30");
    expect(isoWithOffset(new Date("2025-12-02T02:00:00Z"), "America/Los_Angeles")).toBe(
      "2025-12-01T18:00:00-08:00",
    );
  });

  test("zone names are checked against the runtime, aliases included", () => {
    expect(isTimeZone("Asia/Kolkata")).toBe(true);
    expect(isTimeZone("Asia/Calcutta")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
    expect(isTimeZone("")).toBe(false);
  });
});

describe("parseNewDrop", () => {
  test("turns the form's text into the shop's input", () => {
    expect(parseNewDrop({ ...form, timeZone: "Europe/Berlin" }, clock)).toEqual({
      ok: true,
      value: {
        title: "Tee",
        description: "",
        priceCents: 2500,
        currency: "USD",
        quantity: 10,
        maxPerFan: 1,
        startsAt: new Date("2030-12-01T17:00:00.000Z"),
        holdSeconds: 0,
        verifiedFans: false,
        collectShipping: false,
      },
    });
  });

  test.each([
    ["25", 2500],
    ["25.5", 2550],
    ["0.07", 7],
    ["0", 0],
    ["1000000", 100_000_000],
  ])("price %s is %i cents", (price, cents) => {
    const parsed = parseNewDrop({ ...form, price }, clock);
    expect(parsed.ok && parsed.value.priceCents).toBe(cents);
  });

  test.each([
    ["", "Price is required"],
    ["1.999", "Price must be an amount like 25.00 (or 25,00)"],
    ["-1", "Price must be an amount like 25.00 (or 25,00)"],
    ["1e3", "Price must be an amount like 25.00 (or 25,00)"],
    ["1000000.01", "Price must be at most 1,000,000.00"],
  ])("price %j is refused: %s", (price, message) => {
    expect(parseNewDrop({ ...form, price }, clock)).toEqual({ ok: false, errors: { price: message } });
  });

  test("missing fields are named, not crashed on (a missing currency is USD, as in the API)", () => {
    const parsed = parseNewDrop({}, clock);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && Object.keys(parsed.errors).sort()).toEqual(
      ["maxPerFan", "price", "quantity", "startsAt", "timeZone", "title"].sort(),
    );
  });
});

describe("new-drop form errors come in one round", () => {
  test("a go-live already past is reported beside a missing title, not after it is fixed", () => {
    const parsed = parseNewDrop({ ...form, title: "", startsAt: "2029-11-01T18:00" }, clock);
    expect(parsed).toEqual({
      ok: false,
      errors: {
        title: expect.any(String),
        startsAt: "This time has already passed. Choose a later time, or tick Go live now.",
      },
    });
  });

  test("with Go live now ticked a past date is not a problem", () => {
    const parsed = parseNewDrop({ ...form, title: "", startsAt: "2029-11-01T18:00", goLiveNow: "on" }, clock);
    expect(!parsed.ok && Object.keys(parsed.errors)).toEqual(["title"]);
  });
});

describe("dashboard formatting", () => {
  test("sell-through is a whole percent, never 100% with stock left nor 0% after a sale", () => {
    expect(sellThrough(0, 5)).toBe("0%");
    expect(sellThrough(2, 5)).toBe("40%");
    expect(sellThrough(1, 3)).toBe("33%");
    expect(sellThrough(8, 12)).toBe("67%"); // the review's 66.6 %
    expect(sellThrough(9999, 10000)).toBe("99%");
    expect(sellThrough(1, 10000)).toBe("1%");
    expect(sellThrough(5, 5)).toBe("100%");
  });

  test("durations keep the precision that matters", () => {
    expect(formatDuration(12_400)).toBe("12s");
    expect(formatDuration(249_000)).toBe("4m 09s");
    expect(formatDuration(7_390_000)).toBe("2h 03m 10s");
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000)).toBe("3d 04h 05m");
  });

  test("money is shown from cents in its currency", () => {
    expect(formatMoney(123_450, "USD")).toBe("$1,234.50");
    expect(formatMoney(2500, "EUR")).toBe("€25.00");
  });
});
