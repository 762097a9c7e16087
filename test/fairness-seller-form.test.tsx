import { describe, expect, test } from "vitest";
import { parseNewDrop } from "../src/web/seller/seller-forms";
import { SaleFields } from "../views/seller/sale-fields";
import { fixedClock, HOUR_MS, localFromNow, testClock } from "./support/clock";

/** The new-drop form's draw choice (docs/draws.md): what it sends on, and how it renders. */
const now = testClock();
const clock = fixedClock(now);
const form = {
  title: "Print",
  description: "",
  price: "50",
  currency: "eur",
  quantity: "100",
  maxPerFan: "1",
  startsAt: localFromNow(HOUR_MS, "Europe/Berlin", clock),
  timeZone: "Europe/Berlin",
  holdMode: "hold",
  holdMinutes: "15",
};

describe("the new-drop form's draw choice", () => {
  test("a draw is a verified-fans drop whose close is read in the go-live's zone", () => {
    const parsed = parseNewDrop(
      {
        ...form,
        sale: "draw",
        entriesCloseAt: localFromNow(3 * HOUR_MS, "Europe/Berlin", clock),
        drawPublicValue: "the lottery of Friday",
      },
      clock,
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value).toMatchObject({
      sale: "draw",
      verifiedFans: true,
      drawPublicValue: "the lottery of Friday",
    });
    const closeIn = parsed.value.entriesCloseAt!.getTime() - now;
    // The form keeps minutes only: the close is within a minute before three hours from now.
    expect(closeIn).toBeGreaterThan(3 * HOUR_MS - 61_000);
    expect(closeIn).toBeLessThanOrEqual(3 * HOUR_MS);
  });

  test("first come sends nothing of a draw, even with a close typed in", () => {
    const parsed = parseNewDrop({ ...form, sale: "first_come", entriesCloseAt: form.startsAt }, clock);
    expect(parsed.ok && parsed.value.sale).toBeUndefined();
    expect(parsed.ok && parsed.value.entriesCloseAt).toBeUndefined();
  });

  test("renders the choice, keeping what the seller chose", async () => {
    const html = String(await (<SaleFields values={{ sale: "draw" }} errors={{ sale: "Pick one" }} />));
    expect(html).toContain("How it sells");
    expect(html).toMatch(/value="draw" checked/);
    expect(html).toContain("Pick one");
  });
});
