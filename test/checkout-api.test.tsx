import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { TestPaymentProvider } from "../src/domain/checkout/payments";
import * as repo from "../src/repository";
import { UnitClaims } from "../views/seller/unit-claims";
import { openTestDatabase } from "./support/databases";
import { buy, createDrop, createSeller, json } from "./support/shop-fixtures";

/** The checkout API exactly as issue 11 words it, on the test provider. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface HeldAnswer {
  order: { id: string; unitNo: number; status: string; expiresAt: string; createdAt: string };
  orderToken?: string;
  payment?: { id: string; status: string };
  error?: { code: string; refunded?: boolean };
}

describe("checkout API", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;
  const payments = new TestPaymentProvider();

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    app = createApp({ db, payments });
    ({ apiKey } = await createSeller(app));
  });
  afterAll(async () => db?.close());

  const purchase = async (dropId: string, fan: string) => {
    const res = await app.request(`/api/drops/${dropId}/purchase`, json({ fan }));
    return { status: res.status, body: (await res.json()) as HeldAnswer };
  };
  const asFan = (token: string | undefined, body?: unknown): RequestInit => ({
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const call = async (path: string, init: RequestInit) => {
    const res = await app.request(path, init);
    return { status: res.status, body: (await res.json()) as HeldAnswer };
  };
  const remaining = async (dropId: string) =>
    ((await (await app.request(`/api/drops/${dropId}`)).json()) as { drop: { remaining: number } }).drop
      .remaining;
  /** A drop held for a second, made through the shop (the API takes whole minutes). */
  const shortHoldDrop = async (quantity: number) =>
    app.shop.createDrop(await app.shop.sellerByApiKey(apiKey), {
      title: "Short hold",
      description: "",
      priceCents: 900,
      currency: "USD",
      quantity,
      maxPerFan: 1,
      holdSeconds: 1,
    });

  it("holdMinutes: 0 by default, 1-60 otherwise, shown on hold drops only", async () => {
    const instant = await createDrop(app, apiKey);
    expect(instant).not.toHaveProperty("holdMinutes");
    expect(await createDrop(app, apiKey, { holdMinutes: 10 })).toMatchObject({ holdMinutes: 10 });
    const tooLong = await app.request(
      "/api/drops",
      json(
        { title: "x", priceCents: 1, quantity: 1, holdMinutes: 61 },
        { authorization: `Bearer ${apiKey}` },
      ),
    );
    expect(tooLong.status).toBe(400);
  });

  it("instant drops answer exactly as before: no status, no token", async () => {
    const drop = await createDrop(app, apiKey);
    const answer = await buy(app, drop.id, "instant@fans.test");
    expect(answer.status).toBe(201);
    expect(Object.keys(answer.body).sort()).toEqual(["order"]);
    expect(Object.keys(answer.body.order!).sort()).toEqual(
      ["createdAt", "dropId", "fan", "id", "priceCents", "unitNo"].sort(),
    );
  });

  it("a win is held with a countdown; a declined card keeps the hold; a good card pays it", async () => {
    const drop = await createDrop(app, apiKey, { holdMinutes: 10, quantity: 2 });
    const won = await purchase(drop.id, "holder@fans.test");
    expect(won.status).toBe(201);
    expect(won.body.order.status).toBe("held");
    const heldFor = Date.parse(won.body.order.expiresAt) - Date.parse(won.body.order.createdAt);
    expect(Math.round(heldFor / 60_000)).toBe(10);
    const { id } = won.body.order;
    const token = won.body.orderToken!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{20,}$/);

    expect((await call(`/api/orders/${id}`, asFan(undefined))).status).toBe(404);
    expect((await app.request(`/api/orders/${id}`)).status).toBe(401);
    expect((await call(`/api/orders/${id}`, asFan("not-the-token"))).status).toBe(404);
    expect((await call(`/api/orders/${id}`, asFan(token))).body.order.status).toBe("held");

    // Buying again cannot reset the countdown: the fan's slot is taken by the hold.
    expect((await purchase(drop.id, "holder@fans.test")).body.error?.code).toBe("limit_reached");

    const declined = await call(`/api/orders/${id}/pay`, asFan(token, { card: "4000000000000002" }));
    expect(declined).toMatchObject({ status: 402, body: { error: { code: "card_declined" } } });
    expect((await call(`/api/orders/${id}`, asFan(token))).body.order.status).toBe("held");

    const paid = await call(`/api/orders/${id}/pay`, asFan(token, { card: "4242 4242 4242 4242" }));
    expect(paid.status).toBe(200);
    expect(paid.body.order.status).toBe("paid");
    const again = await call(`/api/orders/${id}/pay`, asFan(token, { card: "4242424242424242" }));
    expect(again).toMatchObject({ status: 409, body: { error: { code: "order_not_payable" } } });
    expect((await call(`/api/orders/${id}/pay`, asFan(token, { card: "oops" }))).status).toBe(400);
  });

  it("release puts the unit back at once, and the same unit number is sold again", async () => {
    const drop = await createDrop(app, apiKey, { holdMinutes: 5, quantity: 1 });
    const first = await purchase(drop.id, "leaver@fans.test");
    expect(await remaining(drop.id)).toBe(0);
    expect((await purchase(drop.id, "waiting@fans.test")).body.error?.code).toBe("sold_out");
    const released = await call(
      `/api/orders/${first.body.order.id}/release`,
      asFan(first.body.orderToken, {}),
    );
    expect(released).toMatchObject({ status: 200, body: { order: { status: "released" } } });
    expect(await remaining(drop.id)).toBe(1);
    const second = await purchase(drop.id, "waiting@fans.test");
    expect(second.status).toBe(201);
    expect(second.body.order.unitNo).toBe(first.body.order.unitNo);
    const payReleased = await call(
      `/api/orders/${first.body.order.id}/pay`,
      asFan(first.body.orderToken, { card: "4242424242424242" }),
    );
    expect(payReleased).toMatchObject({ status: 409, body: { error: { code: "order_not_payable" } } });
  });

  it("an expired hold refuses payment with hold_expired and its unit is sold again", async () => {
    const drop = await shortHoldDrop(1);
    const first = await purchase(drop.id, "slow@fans.test");
    await sleep(1200);
    const late = await call(
      `/api/orders/${first.body.order.id}/pay`,
      asFan(first.body.orderToken, { card: "4242424242424242" }),
    );
    expect(late).toMatchObject({ status: 409, body: { error: { code: "hold_expired", refunded: false } } });
    // The purchase sweeps its drop first, so the unit is back for the next fan in any process.
    const next = await purchase(drop.id, "quick@fans.test");
    expect(next.status).toBe(201);
    expect(next.body.order.unitNo).toBe(1);
    expect(
      (await call(`/api/orders/${first.body.order.id}`, asFan(first.body.orderToken))).body.order.status,
    ).toBe("expired");
  });

  it("a payment whose second step lands after the hold ran out is refunded, and the fan is told", async () => {
    const drop = await shortHoldDrop(1);
    const won = await purchase(drop.id, "threeds@fans.test");
    const started = await call(
      `/api/orders/${won.body.order.id}/pay`,
      asFan(won.body.orderToken, { card: "4000002500003155" }),
    );
    expect(started).toMatchObject({ status: 202, body: { payment: { status: "requires_action" } } });
    await sleep(1200);
    const confirmed = await call(
      `/api/orders/${won.body.order.id}/pay`,
      asFan(won.body.orderToken, { paymentId: started.body.payment!.id }),
    );
    expect(confirmed).toMatchObject({
      status: 409,
      body: { error: { code: "hold_expired", refunded: true } },
    });
    expect(
      (await call(`/api/orders/${won.body.order.id}`, asFan(won.body.orderToken))).body.order.status,
    ).toBe("refunded");
    expect(payments.refunded().map((p) => p.id)).toContain(started.body.payment!.id);
    expect(payments.captured().map((p) => p.orderId)).not.toContain(won.body.order.id);
  });

  it("the dashboard counts paid orders as sold and revenue, and held units apart", async () => {
    const drop = await createDrop(app, apiKey, { holdMinutes: 10, quantity: 5, priceCents: 700 });
    const paid = await purchase(drop.id, "dash-paid@fans.test");
    await call(
      `/api/orders/${paid.body.order.id}/pay`,
      asFan(paid.body.orderToken, { card: "4242424242424242" }),
    );
    await purchase(drop.id, "dash-held@fans.test");
    const pace = await repo.readDropPace(db, drop.id, 10);
    expect(pace).toMatchObject({ sold: 1, held: 1, remaining: 3, revenueCents: 700 });
    const seller = await app.shop.sellerByApiKey(apiKey);
    const listed = (await repo.listSellerDropSales(db, seller.id, 50)).find((d) => d.drop.id === drop.id);
    expect(listed).toMatchObject({ sold: 1, held: 1, remaining: 3, revenueCents: 700 });
  });

  it("the audit trail shows each unit's claims: released, back in stock, sold again and paid", async () => {
    const drop = await createDrop(app, apiKey, { holdMinutes: 10, quantity: 1 });
    const first = await purchase(drop.id, "trail-a@fans.test");
    await call(`/api/orders/${first.body.order.id}/release`, asFan(first.body.orderToken, {}));
    const second = await purchase(drop.id, "trail-b@fans.test");
    await call(
      `/api/orders/${second.body.order.id}/pay`,
      asFan(second.body.orderToken, { card: "4242424242424242" }),
    );
    const claims = await repo.listUnitClaims(db, drop.id, 10);
    expect(claims.map((c) => [c.unitNo, c.fan, c.status])).toEqual([
      [1, "trail-a@fans.test", "released"],
      [1, "trail-b@fans.test", "paid"],
    ]);
    const html = String(<UnitClaims claims={claims} limit={10} />);
    expect(html).toContain('data-unit="1" data-state="released"');
    expect(html).toContain("Released, back in stock");
    expect(html).toContain('data-unit="1" data-state="paid"');
  });

  it("the second step in time pays the order", async () => {
    const drop = await createDrop(app, apiKey, { holdMinutes: 1 });
    const won = await purchase(drop.id, "approver@fans.test");
    const started = await call(
      `/api/orders/${won.body.order.id}/pay`,
      asFan(won.body.orderToken, { card: "4000002500003155" }),
    );
    const confirmed = await call(
      `/api/orders/${won.body.order.id}/pay`,
      asFan(won.body.orderToken, { paymentId: started.body.payment!.id }),
    );
    expect(confirmed).toMatchObject({ status: 200, body: { order: { status: "paid" } } });
  });
});
