import { describe, expect, it } from "vitest";
import { DropPage } from "../views/fan/drop-page";
import { hueOf, initialsOf, ProductImage } from "../views/fan/product-image";
import { StockState } from "../views/fan/stock";

/** The fan views are pure functions of their props: states the API cannot produce yet are rendered here. */
const drop = {
  id: "00000000-0000-4000-8000-000000000001",
  sellerId: "00000000-0000-4000-8000-000000000002",
  slug: "tee-abc123",
  title: "Tour Tee",
  description: "",
  priceCents: 3000,
  currency: "EUR",
  quantity: 100,
  startsAt: new Date("2025-12-01T18:00:00Z"),
  maxPerFan: 1,
  bucketCount: 4,
  isRehearsal: false,
  createdAt: new Date("2025-11-01T00:00:00Z"),
  pausedAt: null,
  cancelledAt: null,
  holdSeconds: 0,
  verifiedFans: false,
};

const render = (status: "paused" | "cancelled" | "live") =>
  String(
    <DropPage
      drop={drop}
      remaining={40}
      status={status}
      serverTime={new Date("2025-12-01T18:05:00Z")}
      purchase={{ kind: "ready", fan: "", idempotencyKey: "k", live: status === "live" }}
      images={[]}
      shop={{ name: "Band Merch", slug: "band-merch", brand: { bio: "", links: [] } }}
      origin="https://drops.example.com"
    />,
  );

describe("fan views", () => {
  it("shows a paused drop with its badge and no buy form", () => {
    const html = render("paused");
    expect(html).toContain('<span class="badge badge-paused">Paused</span>');
    expect(html).toContain("The shop has paused sales for a moment.");
    expect(html).not.toContain("buy-form");
    expect(html).toContain('sse-connect="/d/tee-abc123/stream"'); // still listening for the resume
  });

  it("shows a cancelled drop as over, pointing to the shop's other drops", () => {
    const html = render("cancelled");
    expect(html).toContain('<span class="badge badge-cancelled">Cancelled</span>');
    expect(html).toContain(
      'The shop called this drop off. <a href="/s/band-merch">More drops from Band Merch</a>',
    );
    expect(html).not.toContain("buy-form");
    expect(html).not.toContain("sse-connect");
  });

  it("prices in the drop's currency and says it in the link preview", () => {
    const html = render("live");
    expect(html).toContain('<p class="price">€30.00</p>');
    expect(html).toContain('<meta property="og:url" content="https://drops.example.com/d/tee-abc123"/>');
    expect(html).toContain('<span class="urgency urgency-half">Over half gone</span>');
  });

  it("turns the live counter red only for the last ten that are also the last quarter", () => {
    const state = (remaining: number, quantity: number) =>
      String(<StockState remaining={remaining} quantity={quantity} status="live" />);
    expect(state(10, 100)).toContain("Last 10!");
    expect(state(11, 100)).not.toContain("Last");
    expect(state(5, 8)).not.toContain("Last"); // a drop of 8 is not "last 10" from the start
    expect(state(4, 8)).toContain("Over half gone");
    // The review's case: a drop of 12 after two sales is not down to its last units.
    expect(state(10, 12)).not.toContain("Last");
    expect(state(3, 12)).toContain("Last 3!");
    expect(state(4, 12)).toContain("Over half gone");
  });

  it("before go-live says how many units the drop has, not how many are left, with a full meter", () => {
    const html = String(<StockState remaining={12} quantity={12} status="upcoming" />);
    expect(html).toContain('<span class="badge badge-upcoming">Upcoming</span>');
    expect(html).toContain('<b class="w-2">12</b> <span>units in this drop</span>');
    expect(html).not.toContain("left");
    expect(html).toContain('<progress class="meter" max="12" value="12" aria-hidden="true"></progress>');
  });

  it("drains the meter as units sell: its value is what is left, as its label says", () => {
    const html = String(<StockState remaining={3} quantity={12} status="live" />);
    expect(html).toContain('<b class="w-2">3</b> <span>of 12 left</span>');
    expect(html).toContain('<progress class="meter" max="12" value="3" aria-hidden="true"></progress>');
  });

  it("a sold-out drop that holds units for paying fans never says every unit found its buyer", () => {
    // fair-stress found a draw winner holding the last unit read "Every unit found its buyer" above "You won".
    const held = String(<StockState remaining={0} quantity={6} status="sold_out" holds />);
    expect(held).not.toContain("found its buyer");
    expect(held).toContain("a held unit that is not paid in time comes back");
    expect(String(<StockState remaining={0} quantity={6} status="sold_out" />)).toContain(
      "Every unit found its buyer.",
    );
  });

  it("reserves the counter's width by class, one per formatted length of the quantity", () => {
    const count = (quantity: number) =>
      String(<StockState remaining={quantity} quantity={quantity} status="live" />).match(
        /<b class="(w-\d)">/,
      )?.[1];
    expect([1, 10, 999, 1000, 25_000, 1_000_000].map(count)).toEqual([
      "w-1",
      "w-2",
      "w-3",
      "w-5",
      "w-6",
      "w-9",
    ]);
  });

  it("colours a placeholder by one of twelve hue classes, 30 degrees apart, from the shop's name", () => {
    for (const shopName of ["Ada", "Night Owl Goods", "", "Ølfestival", "z".repeat(50)]) {
      const html = String(<ProductImage title="T" shopName={shopName} image={undefined} sizes="100vw" />);
      const bucket = Number(html.match(/class="product-image placeholder hue-(\d+)"/)?.[1]);
      expect(bucket).toBe(Math.floor(hueOf(shopName) / 30));
      expect(bucket).toBeLessThan(12);
    }
  });

  it("makes placeholder initials from the first two words", () => {
    expect(initialsOf("midnight vinyl, first press")).toBe("MV");
    expect(initialsOf("Ølfestival 2026")).toBe("Ø2");
    expect(initialsOf("!!!")).toBe("?");
  });
});
