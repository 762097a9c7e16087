import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { shortOrderRef } from "../views/fan/price";
import { consoleWithSeller, TestBrowser } from "./web-seller-browser";

/**
 * Issue 18 §2, §3 as pages: the new-drop form's shipping choice, the fan's address on the receipt (given,
 * corrected, fixed once shipped), the seller's orders page with "Address missing", one order's page with
 * mark shipped / cancel / refund; and nobody but the seller (and the fan, for their own) sees an address.
 */
describe("orders and shipping as pages", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let ada: TestBrowser;
  const fanOrigin = "http://localhost";

  beforeAll(async () => {
    ({ db, app, ada } = await consoleWithSeller());
  });
  afterAll(() => db.close());

  /** A fan buying through the page without JavaScript: the receipt's address (post/redirect/get). */
  const buy = async (slug: string, fan: string): Promise<string> => {
    const res = await app.request(`${fanOrigin}/d/${slug}/buy`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: fanOrigin },
      body: new URLSearchParams({ fan, idempotencyKey: randomUUID() }).toString(),
    });
    expect(res.status).toBe(303);
    return res.headers.get("location")!;
  };
  const fanPost = (path: string, form: Record<string, string>) =>
    app.request(`${fanOrigin}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: fanOrigin },
      body: new URLSearchParams(form).toString(),
    });
  const shippingPath = (receipt: string) => receipt.replace("?", "/shipping?");
  const orderIdOf = (receipt: string) => /orders\/([0-9a-f-]{36})/.exec(receipt)![1]!;
  const address = {
    name: "Zoë & Co",
    line1: "1 Quai d'Orsay",
    line2: "",
    city: "Paris",
    postalCode: "75007",
    country: "FR",
  };

  test("instant drop: the receipt asks for the address, the seller sees it missing, then ships it", async () => {
    const slug = await ada.createDrop({
      title: "Tote",
      quantity: "3",
      goLiveNow: "on",
      collectShipping: "on",
    });
    expect((await app.shop.currentDrop(slug)).collectShipping).toBe(true);
    const receipt = await buy(slug, "zoe@fans.test");
    const id = orderIdOf(receipt);

    const first = await (await app.request(`${fanOrigin}${receipt}`)).text();
    expect(first).toContain("Where should we send it?");
    expect(first).toContain('id="address-missing"');
    expect(first).toContain('<option value="FR">France</option>');
    // The country list is ISO 3166-1's: its 249 assigned two-letter codes, each once.
    const codes = [...first.matchAll(/<option value="([A-Z]{2})"/g)].map((m) => m[1]);
    expect(codes).toHaveLength(249);
    expect(new Set(codes).size).toBe(249);
    const list = await (await ada.get(`/seller/drops/${slug}/fulfilment`)).text();
    expect(list).toContain("Address missing");

    // A refused address: each field's problem beside it, what was typed kept, nothing saved.
    const bad = await fanPost(shippingPath(receipt), { ...address, name: "<b>Zoë</b>", country: "ZZ" });
    expect(bad.status).toBe(400);
    const badPage = await bad.text();
    expect(badPage).toContain('id="ship-name-error"');
    expect(badPage).toContain('id="ship-country-error"');
    expect(badPage).toContain('value="&lt;b&gt;Zoë&lt;/b&gt;"');
    expect((await app.shop.orderManagement.fanOrder(id)).shipping).toBeNull();
    // A wrong receipt code is "not found", and writes nothing.
    expect((await fanPost(shippingPath(receipt).replace(/k=[^&]+/, "k=wrong"), address)).status).toBe(404);

    const saved = await fanPost(shippingPath(receipt), address);
    expect(saved.status).toBe(303);
    const after = await (await app.request(`${fanOrigin}${saved.headers.get("location")}`)).text();
    expect(after).toContain("Address saved.");
    expect(after).toContain('value="Zoë &amp; Co"');

    const orderPage = await (await ada.get(`/seller/orders/${id}`)).text();
    expect(orderPage).toContain("Zoë &amp; Co");
    expect(orderPage).toContain("France");
    expect(orderPage).not.toContain("Address missing");
    // Another seller: the order and the drop's orders are "not found".
    const bob = new TestBrowser(app);
    await bob.signUp({ name: "Bob", email: "bob@example.com", password: "correct horse battery" });
    expect((await bob.get(`/seller/orders/${id}`)).status).toBe(404);
    expect((await bob.get(`/seller/drops/${slug}/fulfilment`)).status).toBe(404);
    expect((await bob.get(`/seller/drops/${slug}/orders.csv`)).status).toBe(404);
    // Nor can they act on it with a valid form of their own (CSRF token and session both theirs).
    for (const action of [
      `/seller/orders/${id}/fulfil`,
      `/seller/orders/${id}/cancel`,
      `/seller/orders/${id}/refund`,
    ])
      expect((await bob.submit("/seller/drops/new", action, {})).status, action).toBe(404);
    expect((await bob.submit("/seller/drops/new", `/seller/drops/${slug}/fulfil-all`, {})).status).toBe(404);
    expect(await app.shop.orderManagement.fanOrder(id)).toMatchObject({
      status: "placed",
      fulfilledAt: null,
    });
    // Signed out: sent to sign in.
    expect((await new TestBrowser(app).get(`/seller/orders/${id}`)).status).toBe(303);

    const badLink = await ada.submit(`/seller/orders/${id}`, `/seller/orders/${id}/fulfil`, {
      trackingUrl: "http://carrier.example/1",
    });
    expect(badLink.status).toBe(400);
    expect(await badLink.text()).toContain("trackingUrl must be an https:// address");
    const shipped = await ada.submit(`/seller/orders/${id}`, `/seller/orders/${id}/fulfil`, {
      trackingUrl: "https://carrier.example/track/1",
    });
    expect(shipped.status).toBe(303);
    expect(await (await ada.get(shipped.headers.get("location")!)).text()).toContain("Marked as shipped.");

    const fanAfter = await (await app.request(`${fanOrigin}${receipt}`)).text();
    expect(fanAfter).toContain("On its way");
    expect(fanAfter).toContain('href="https://carrier.example/track/1"');
    expect(fanAfter).not.toContain("Where should we send it?");
    expect((await fanPost(shippingPath(receipt), { ...address, city: "Lyon" })).status).toBe(409);
  });

  test("cancel from the order page (behind a confirmation, CSRF-checked); mark all shipped skips missing addresses", async () => {
    const slug = await ada.createDrop({
      title: "Cap",
      quantity: "4",
      goLiveNow: "on",
      collectShipping: "on",
    });
    const receipts = [];
    for (const fan of ["a@fans.test", "b@fans.test", "c@fans.test"]) receipts.push(await buy(slug, fan));
    await fanPost(shippingPath(receipts[0]!), address);
    const gone = orderIdOf(receipts[2]!);

    const page = await (await ada.get(`/seller/orders/${gone}`)).text();
    expect(page).toContain("Cancel this order…");
    expect(page).toContain('hx-confirm="Cancel the order of c@fans.test? This cannot be undone."');
    expect((await ada.post(`/seller/orders/${gone}/cancel`, {})).status).toBe(403);
    const cancelled = await ada.submit(`/seller/orders/${gone}`, `/seller/orders/${gone}/cancel`, {});
    expect(cancelled.status).toBe(303);
    expect(await (await ada.get(cancelled.headers.get("location")!)).text()).toContain("Cancelled");
    expect((await app.shop.dropWithStock(slug)).remaining).toBe(2);

    const all = await ada.submit(`/seller/drops/${slug}/fulfilment`, `/seller/drops/${slug}/fulfil-all`, {});
    expect(all.status).toBe(303);
    const list = await (await ada.get(all.headers.get("location")!)).text();
    expect(list).toContain("1 orders marked as shipped; 1 still wait for an address.");
    expect(list).toContain("Shipped");
    expect(list).toContain("Cancelled");
  });

  test("a drop of several sizes: the orders page lists every size's orders by size; one order's page names it", async () => {
    const slug = await ada.createDrop({
      title: "Tour tee",
      quantity: "",
      maxPerFan: "2",
      goLiveNow: "on",
      variantName0: "S",
      variantQuantity0: "2",
      variantName1: "M",
      variantQuantity1: "2",
    });
    const buySize = async (fan: string, variant: string) => {
      const res = await fanPost(`/d/${slug}/buy`, { fan, variant, idempotencyKey: randomUUID() });
      expect(res.status).toBe(303);
      return orderIdOf(res.headers.get("location")!);
    };
    const small = await buySize("s@fans.test", "S");
    const medium = await buySize("m@fans.test", "M");

    const list = await (await ada.get(`/seller/drops/${slug}/fulfilment`)).text();
    expect(list).toContain('<th scope="col">Size</th>');
    for (const [id, size] of [
      [small, "S"],
      [medium, "M"],
    ] as const) {
      const row = new RegExp(`<tr id="order-${id}">.*?</tr>`, "s").exec(list)?.[0];
      expect(row, `the order of size ${size}`).toBeDefined();
      expect(row).toContain(`<td data-label="Size">${size}</td>`);
    }
    expect(list).toContain("2 orders");
    const one = await (await ada.get(`/seller/orders/${medium}`)).text();
    expect(one).toContain("<dt>Size</dt><dd>M</dd>");
    // The short reference the fan's receipt shows, so a fan quoting it is found.
    expect(one).toContain(`<b id="order-ref">${shortOrderRef(medium)}</b>`);
    expect(one).toContain("<title>Order M #");
  });

  test("hold drop: the address is asked with the card, and the card is not charged without it", async () => {
    const slug = await ada.createDrop({
      title: "Hoodie",
      quantity: "2",
      goLiveNow: "on",
      collectShipping: "on",
      holdMode: "hold",
      holdMinutes: "10",
    });
    const hold = await buy(slug, "holder@fans.test");
    const id = orderIdOf(hold);
    const holdPage = await (await app.request(`${fanOrigin}${hold}`)).text();
    expect(holdPage).toContain("Where should we send it?");
    const payPath = hold.replace("?", "/pay?");
    const noAddress = await fanPost(payPath, { card: "4242424242424242" });
    expect(noAddress.status).toBe(400);
    expect(await noAddress.text()).toContain("Check your address below.");
    expect((await app.shop.checkout.findOrder(id)).status).toBe("held");
    const paid = await fanPost(payPath, { card: "4242424242424242", ...address });
    expect(paid.status).toBe(303);
    const order = await app.shop.orderManagement.fanOrder(id);
    expect(order.status).toBe("paid");
    expect(order.shipping).toMatchObject({ name: "Zoë & Co", country: "FR" });

    // The seller refunds it from the order page; the fan's page says so.
    const refundPage = await (await ada.get(`/seller/orders/${id}`)).text();
    expect(refundPage).toContain("Refund this order…");
    const refunded = await ada.submit(`/seller/orders/${id}`, `/seller/orders/${id}/refund`, {});
    expect(refunded.status).toBe(303);
    expect(await (await ada.get(refunded.headers.get("location")!)).text()).toContain("Refunded in full.");
    expect((await app.shop.checkout.findOrder(id)).status).toBe("refunded");
  });
});
