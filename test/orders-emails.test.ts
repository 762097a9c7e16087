import { describe, expect, it } from "vitest";
import { isReceipt, renderEmail, templatesFor } from "../src/domain/messages/emails";
import type { StoredEvent } from "../src/repository/messages/events";
import { fromNow } from "./support/clock";

/** Issue 18 §3: the fan hears of the seller's refund, cancel and shipment, always (they are receipts). */
const event = (type: StoredEvent["type"], data: Record<string, unknown>): StoredEvent => ({
  id: "e1",
  dropId: "d1",
  type,
  orderId: "o1",
  unitNo: 7,
  data: { fan: "zoe@fans.test", priceCents: 2500, ...data },
  occurredAt: fromNow(0),
  position: 1,
});
const context = {
  shopName: "Ada's Shop",
  dropTitle: "Tote",
  slug: "tote",
  currency: "EUR",
  stillHeld: false,
  claimOnly: false,
};
const links = { receipt: "https://shop.example/d/tote/orders/o1?k=abc" };

describe("order emails", () => {
  it("each seller action sends its email, and each is a receipt (no unsubscribe can stop it)", () => {
    expect(templatesFor(event("order.cancelled", {}))).toEqual(["cancelled"]);
    expect(templatesFor(event("order.fulfilled", {}))).toEqual(["fulfilled"]);
    expect(templatesFor(event("order.refunded", { by: "seller" }))).toEqual(["refund"]);
    for (const template of ["cancelled", "fulfilled", "refund"] as const)
      expect(isReceipt(template)).toBe(true);
  });

  it("says who did what, with the tracking link when there is one, all escaped in HTML", () => {
    const shipped = renderEmail(
      "fulfilled",
      event("order.fulfilled", { trackingUrl: "https://carrier.example/t?a=1&b=<2>" }),
      context,
      links,
    );
    expect(shipped.subject).toBe("On its way: Tote, unit #7");
    expect(shipped.text).toContain("Track it: https://carrier.example/t?a=1&b=<2>");
    expect(shipped.html).toContain("a=1&amp;b=&lt;2&gt;");
    expect(shipped.html).toContain("Ada&#39;s Shop");
    const refund = renderEmail("refund", event("order.refunded", { by: "seller" }), context, links);
    expect(refund.text).toContain(
      "Ada's Shop refunded your payment for unit #7 of Tote (25.00 EUR) in full.",
    );
    const late = renderEmail("refund", event("order.refunded", {}), context, links);
    expect(late.text).toContain("came after the hold had ended");
    const cancelled = renderEmail("cancelled", event("order.cancelled", {}), context, links);
    expect(cancelled.subject).toBe("Cancelled: Tote, unit #7");
  });

  it("names the size with the unit on a drop of several sizes, in every order email", () => {
    const sized = (type: StoredEvent["type"]) => ({
      ...event(type, { by: "seller" }),
      variant: { id: "v1", name: "XL" },
    });
    expect(renderEmail("held", sized("order.held"), context, links).subject).toBe(
      "Tote: unit #7 (size XL) is held for you",
    );
    expect(renderEmail("refund", sized("order.refunded"), context, links).text).toContain(
      "refunded your payment for unit #7 (size XL) of Tote",
    );
    expect(renderEmail("fulfilled", sized("order.fulfilled"), context, links).subject).toBe(
      "On its way: Tote, unit #7 (size XL)",
    );
  });

  it("on an instant drop a held order is a waitlist offer: claimed, never paid for", () => {
    const instant = { ...context, claimOnly: true };
    const held = renderEmail("held", event("order.held", {}), instant, links);
    expect(held.subject).toBe("Tote: unit #7 is yours to claim");
    expect(held.text).toContain("Claim it before the offer runs out");
    expect(held.text).toContain("Claim your unit: https://shop.example/d/tote/orders/o1?k=abc");
    expect(held.text).not.toMatch(/\bpay\b/i);
    const reminder = renderEmail("reminder", event("order.held", {}), instant, links);
    expect(reminder.text).toContain("Claim it now to keep it.");
    expect(reminder.text).not.toMatch(/\bpay\b/i);
    expect(renderEmail("expired", event("order.expired", {}), instant, links).text).toContain(
      "ran out before it was claimed",
    );
    // A drop with checkout keeps the pay wording.
    expect(renderEmail("held", event("order.held", {}), context, links).text).toContain(
      "pay before the hold",
    );
  });
});
