import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import type { Drop, Seller } from "../src/domain/types";
import { fromNow, MINUTE_MS } from "./support/clock";
import { appWithSeller, hoodieDrop } from "./support/shop-fixtures";

/**
 * The fan's order pages name the size (issue 18 §5): the receipt of an instant drop, the hold and its
 * receipt on a hold drop; a one-size drop names none. And a receipt link outlives the order (issue 18 §3):
 * a cancelled or refunded order's receipt says what happened, with its reference and size, and offers
 * nothing that no longer applies (no address to give).
 */
let db: Database;
let app: ReturnType<typeof createApp>;
let seller: Seller;

beforeAll(async () => {
  ({ db, app, seller } = await appWithSeller("order-sizes@example.com"));
});
afterAll(async () => db?.close());

const origin = "http://localhost";
const sizedDrop = (extra: Parameters<typeof hoodieDrop>[0] = {}): Promise<Drop> =>
  app.shop.createDrop(
    seller,
    hoodieDrop({
      title: "Tour tee",
      quantity: undefined,
      startsAt: fromNow(-MINUTE_MS),
      collectShipping: true,
      variants: [
        { name: "S", quantity: 2 },
        { name: "M", quantity: 4 },
      ],
      ...extra,
    }),
  );

const form = (fields: Record<string, string>, htmx = false): RequestInit => ({
  method: "POST",
  headers: {
    "content-type": "application/x-www-form-urlencoded",
    origin,
    ...(htmx ? { "hx-request": "true" } : {}),
  },
  body: new URLSearchParams(fields).toString(),
});

/** Buys without JavaScript (post/redirect/get): the receipt's address. */
async function buy(drop: Drop, fields: Record<string, string>): Promise<string> {
  const res = await app.request(
    `${origin}/d/${drop.slug}/buy`,
    form({ idempotencyKey: randomUUID(), ...fields }),
  );
  expect(res.status).toBe(303);
  return res.headers.get("location")!;
}
const page = async (path: string) => {
  const res = await app.request(`${origin}${path}`);
  return { status: res.status, html: await res.text() };
};
const orderIdOf = (receipt: string) => /orders\/([0-9a-f-]{36})/.exec(receipt)![1]!;
const sizeFact = (name: string) => `<dt>Size</dt><dd class="receipt-size"><b>${name}</b></dd>`;

describe("the size on the fan's order pages", () => {
  it("names the size on an instant drop's receipt, numbered within that size; none on a one-size drop", async () => {
    const drop = await sizedDrop();
    const receipt = await page(await buy(drop, { fan: "mo@fans.test", variant: "M" }));
    expect(receipt.status).toBe(200);
    expect(receipt.html).toContain(sizeFact("M"));
    expect(receipt.html).toContain('<span class="receipt-unit-of">of 4</span>');

    const plain = await app.shop.createDrop(seller, hoodieDrop({ startsAt: fromNow(-MINUTE_MS) }));
    const plainReceipt = await page(await buy(plain, { fan: "mo@fans.test" }));
    expect(plainReceipt.html).toContain('data-outcome="bought"');
    expect(plainReceipt.html).not.toContain("<dt>Size</dt>");
  });

  it("names the size on a hold, and on its receipt once paid", async () => {
    const drop = await sizedDrop({ holdSeconds: 600, collectShipping: false });
    const won = await app.request(
      `${origin}/d/${drop.slug}/buy`,
      form({ fan: "hold@fans.test", idempotencyKey: randomUUID(), variant: "S" }, true),
    );
    const held = await won.text();
    expect(held).toContain('data-outcome="held"');
    expect(held).toContain('Size <b class="receipt-size">S</b>');
    expect(held).toContain('<span class="receipt-unit-of">of 2</span>');
    const holdUrl = /data-reload="([^"]+)"/.exec(held)![1]!.replaceAll("&amp;", "&");
    expect((await page(holdUrl)).html).toContain('Size <b class="receipt-size">S</b>');
    const pay = holdUrl.replace("?", "/pay?");
    const paid = await (
      await app.request(`${origin}${pay}`, form({ card: "4242424242424242" }, true))
    ).text();
    expect(paid).toContain('data-outcome="bought"');
    expect(paid).toContain(sizeFact("S"));
  });
});

describe("the receipt of an order the shop ended", () => {
  it("a cancelled instant order's receipt says so, with its reference and size, and asks for no address", async () => {
    const drop = await sizedDrop();
    const link = await buy(drop, { fan: "cy@fans.test", variant: "S" });
    expect((await page(link)).html).toContain("Where should we send it?");
    await app.shop.orderManagement.cancel(seller, orderIdOf(link));

    const closed = await page(link);
    expect(closed.status).toBe(200);
    expect(closed.html).toContain('data-outcome="cancelled"');
    expect(closed.html).toContain('<span class="badge badge-cancelled">Cancelled</span>');
    expect(closed.html).toContain(sizeFact("S"));
    expect(closed.html).toContain(`title="${orderIdOf(link)}"`);
    expect(closed.html).toContain("cancelled this order, so nothing will be sent and nothing is owed");
    expect(closed.html).toContain("<dt>Cancelled on</dt>");
    expect(closed.html).not.toContain("Where should we send it?");
    expect(closed.html).not.toContain("/shipping?");
    expect(closed.html).not.toContain("You got it");
    // The link's code is still the key: a wrong one is "not found", as for a live order.
    expect((await page(link.replace(/k=[^&]+/, "k=wrong"))).status).toBe(404);
  });

  it("a refunded order's receipt says the shop refunded it, and how much", async () => {
    const drop = await sizedDrop({ holdSeconds: 600, collectShipping: false, priceCents: 3100 });
    const won = await (
      await app.request(
        `${origin}/d/${drop.slug}/buy`,
        form({ fan: "rae@fans.test", idempotencyKey: randomUUID(), variant: "M" }, true),
      )
    ).text();
    const holdUrl = /data-reload="([^"]+)"/.exec(won)![1]!.replaceAll("&amp;", "&");
    await app.request(`${origin}${holdUrl.replace("?", "/pay?")}`, form({ card: "4242424242424242" }, true));
    await app.shop.orderManagement.refund(seller, orderIdOf(holdUrl));

    const refunded = await page(holdUrl);
    expect(refunded.status).toBe(200);
    expect(refunded.html).toContain('data-outcome="refunded"');
    expect(refunded.html).toContain('<span class="badge badge-cancelled">Refunded</span>');
    expect(refunded.html).toContain("<dt>Refunded</dt>");
    expect(refunded.html).toContain("<b>$31.00</b> in full, to your card");
    expect(refunded.html).toContain(sizeFact("M"));
    expect(refunded.html).not.toContain("arrived after the hold ran out");
    expect(refunded.html).not.toContain('id="pay-button"');
  });
});
