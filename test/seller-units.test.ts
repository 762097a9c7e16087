import { describe, expect, test } from "vitest";
import { CSV_HEADER, csvCell, ordersCsvStream } from "../src/domain/books/orders-export";
import { chartOf } from "../src/domain/books/sales-timeline";
import { TIME_ZONES } from "../src/domain/catalog/zoned-time";
import { statusOf } from "../src/domain/shop";
import type { Drop } from "../src/domain/types";
import type { ManagedOrder } from "../src/repository/orders/manage";
import { parseDropEdit, parseNewDrop } from "../src/web/seller/seller-forms";
import { formatNumber, formatOrderTime, formatUtcMinute } from "../views/seller/format";
import { fixedClock } from "./support/clock";

/** The seller console's pure parts: forms, status, chart, CSV, formatting. */

// A fixed clock a year in the past: if any check read the real clock instead, these go-lives would be refused.
const NOW = Date.parse("2025-11-30T12:00:00Z");
const clock = fixedClock(NOW);
const form = {
  title: "Tee",
  description: "",
  price: "25,50",
  currency: "eur",
  quantity: "10",
  maxPerFan: "1",
  startsAt: "2025-11-30T12:00",
  timeZone: "UTC",
};

describe("the drop form", () => {
  test("accepts a decimal comma", () => {
    const parsed = parseNewDrop(form, clock);
    expect(parsed.ok && parsed.value.priceCents).toBe(2550);
    expect(parseNewDrop({ ...form, price: "1,000" }, clock).ok).toBe(false);
  });

  test("refuses a go-live already past with a field error, unless Go live now is ticked", () => {
    const past = { ...form, startsAt: "2025-11-30T11:58" };
    expect(parseNewDrop(past, clock)).toEqual({
      ok: false,
      errors: { startsAt: "This time has already passed. Choose a later time, or tick Go live now." },
    });
    const now = parseNewDrop({ ...past, goLiveNow: "on" }, clock);
    expect(now.ok && now.value.startsAt).toBeUndefined();
    // The current minute still counts as now.
    expect(parseNewDrop({ ...form, startsAt: "2025-11-30T11:59" }, clock).ok).toBe(true);
  });

  test("the edit form sends every term before go-live and only the free ones once live", () => {
    const before = parseDropEdit({ ...form, goLiveNow: "on" }, { live: false, checkout: false }, clock);
    expect(before.ok && before.value).toMatchObject({
      priceCents: 2550,
      quantity: 10,
      startsAt: new Date(NOW),
    });
    const live = parseDropEdit(
      { ...form, title: "New name", price: "1" },
      { live: true, checkout: false },
      clock,
    );
    // The shipping box is on the live form too (issue 18 §2): unticked, it says "no address".
    expect(live).toEqual({
      ok: true,
      value: { title: "New name", description: "", maxPerFan: 1, collectShipping: false },
    });
  });

  test("time zones are the current IANA names, without deprecated links, UTC first", () => {
    expect(TIME_ZONES[0]).toBe("UTC");
    expect(TIME_ZONES).toContain("Asia/Kolkata");
    expect(TIME_ZONES).toContain("Europe/Kyiv");
    expect(TIME_ZONES).not.toContain("Asia/Calcutta");
    expect(TIME_ZONES).not.toContain("Europe/Kiev");
    expect(new Set(TIME_ZONES).size).toBe(TIME_ZONES.length);
  });
});

const drop: Drop = {
  id: "7d0c4f0e-0000-4000-8000-000000000001",
  sellerId: "7d0c4f0e-0000-4000-8000-000000000002",
  slug: "tee-abc123",
  title: "Tee",
  description: "",
  priceCents: 1250,
  currency: "USD",
  quantity: 10,
  startsAt: new Date(NOW),
  maxPerFan: 1,
  bucketCount: 1,
  isRehearsal: false,
  createdAt: new Date(NOW - 60_000),
  pausedAt: null,
  cancelledAt: null,
  holdSeconds: 0,
  verifiedFans: false,
};

describe("statusOf", () => {
  const before = new Date(NOW - 1000);
  const after = new Date(NOW + 1000);
  test.each([
    ["upcoming", drop, 10, before, {}],
    ["live", drop, 10, after, {}],
    ["sold_out", drop, 0, after, {}],
    ["paused", drop, 10, after, { paused: true }],
    ["paused", { ...drop, pausedAt: new Date(NOW) }, 10, before, {}],
    ["sold_out", drop, 0, after, { paused: true }],
    ["cancelled", drop, 10, before, { cancelled: true }],
    ["cancelled", { ...drop, cancelledAt: new Date(NOW) }, 0, after, {}],
    ["live", { ...drop, pausedAt: new Date(NOW) }, 10, after, { paused: false }],
  ] as const)("%s", (status, d, remaining, serverTime, switches) => {
    expect(statusOf(d, remaining, serverTime, switches)).toBe(status);
  });
});

describe("sales chart", () => {
  test("one bar per second for a short drop, the peak from the busiest second", () => {
    const chart = chartOf(
      [
        { second: 0, orders: 5 },
        { second: 2, orders: 9 },
      ],
      4.2,
    );
    expect(chart).toEqual({ bins: [5, 0, 9, 0, 0], binSeconds: 1, spanSeconds: 5, peakPerSecond: 9 });
  });

  test("a long drop is binned into at most 60 bars, each an average rate", () => {
    const chart = chartOf(
      [
        { second: 0, orders: 120 },
        { second: 3599, orders: 60 },
      ],
      3600,
    );
    expect(chart.bins.length).toBe(60);
    expect(chart.binSeconds).toBe(60);
    expect(chart.bins[0]).toBe(2);
    expect(chart.bins[59]).toBe(1);
    expect(chart.peakPerSecond).toBe(120);
  });
});

describe("orders CSV", () => {
  test("defuses formulas and quotes what needs quoting", () => {
    expect(csvCell("=1+1")).toBe("'=1+1");
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-1")).toBe("'-1");
    expect(csvCell("@x")).toBe("'@x");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("=a,b")).toBe(`"'=a,b"`);
    expect(csvCell("plain")).toBe("plain");
  });

  test("is pulled page by page: a page is read only when the previous one has been taken", async () => {
    const order = (unitNo: number): ManagedOrder => ({
      id: `00000000-0000-4000-8000-${String(unitNo).padStart(12, "0")}`,
      dropId: drop.id,
      sellerId: drop.sellerId,
      unitNo,
      variant: 0,
      fan: `fan${unitNo}`,
      priceCents: 1250,
      currency: drop.currency,
      status: "placed",
      createdAt: new Date(NOW),
      paidAt: null,
      paymentRef: null,
      collectShipping: false,
      shipping: null,
      fulfilledAt: null,
      trackingUrl: null,
      closedAt: null,
      tokenHash: null,
    });
    const reads: number[] = [];
    const stream = ordersCsvStream(
      drop,
      async (afterUnit, limit) => {
        reads.push(afterUnit);
        // Units 1..7 of a 10-unit drop sold, unit 5 not.
        return Array.from({ length: limit }, (_, i) => afterUnit + i + 1)
          .filter((unit) => unit <= 7 && unit !== 5)
          .map(order);
      },
      3,
    );
    const reader = stream.getReader();
    const decoder = new TextDecoder("utf-8", { ignoreBOM: true }); // keep the BOM, to see it
    expect(decoder.decode((await reader.read()).value)).toBe(`\uFEFF${CSV_HEADER.join(",")}\r\n`);
    expect(reads.length).toBeLessThanOrEqual(1);
    let text = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      text += decoder.decode(chunk.value);
    expect(reads).toEqual([0, 3, 6, 9]);
    expect(
      text
        .trimEnd()
        .split("\r\n")
        .map((line) => line.split(",")[0]),
    ).toEqual(["1", "2", "3", "4", "6", "7"]);
    // An instant order with no address, not fulfilled: the variant, paid_at, shipping and fulfilment cells empty.
    expect(text).toContain(",fan1,12.50,USD,2025-11-30T12:00:00.000Z,,placed,,,,,,,,,\r\n");
  });
});

describe("one number and date style", () => {
  test("thousands are grouped and dates read the same everywhere", () => {
    expect(formatNumber(1_900)).toBe("1,900");
    expect(formatUtcMinute(new Date("2025-12-01T18:00:00Z"))).toBe("Dec 1, 2025, 18:00 UTC");
    expect(formatOrderTime(new Date("2025-12-01T18:00:05.123Z"))).toBe("Dec 1, 18:00:05.123");
  });
});
