import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { TestPaymentProvider } from "../src/domain/checkout/payments";
import * as repo from "../src/repository";
import { isAvailable, openTestDatabase, type TestBackend } from "./support/databases";
import { buy, createDrop, createSeller, json } from "./support/shop-fixtures";

/**
 * Issue 18 §2 and §3 over the API: shipping addresses (the fan's, seen by the seller only), refund,
 * cancel, fulfil one and all, the CSV; each state change writes its event and answers the order after it.
 */

/** The test provider, whose refunds can be made to fail (the provider is away). */
class FlakyRefunds extends TestPaymentProvider {
  failRefunds = false;
  override async refund(paymentId: string): Promise<void> {
    if (this.failRefunds) throw new Error("provider unavailable");
    return super.refund(paymentId);
  }
}

interface OrderAnswer {
  order: {
    id: string;
    status: string;
    unitNo: number;
    fan: string;
    addressMissing: boolean;
    collectShipping: boolean;
    shipping: Record<string, string> | null;
    fulfilledAt: string | null;
    trackingUrl: string | null;
    paidAt: string | null;
    closedAt: string | null;
  };
  orderToken?: string;
  error?: { code: string; status?: string; issues?: { path: string; message: string }[] };
  shipping?: Record<string, string>;
}

const ADDRESS = {
  name: "Zoë O'Brien",
  line1: "12 Rue de l'Église",
  line2: "Apt 3",
  city: "Lyon",
  postalCode: "69002",
  country: "fr",
};

const BACKENDS: TestBackend[] = ["pglite", "postgres-read-committed"];

describe.each(BACKENDS)("order management API on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let key: string;
  let otherKey: string;
  const payments = new FlakyRefunds();

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    app = createApp({ db, payments, logError: () => undefined });
    ({ apiKey: key } = await createSeller(app));
    ({ apiKey: otherKey } = await createSeller(app));
  });
  afterAll(async () => db?.close());
  const it_ = isAvailable(backend) ? it : it.skip;

  const call = async (path: string, init: RequestInit = {}) => {
    const res = await app.request(path, init);
    return { status: res.status, body: (await res.json()) as OrderAnswer };
  };
  const as = (apiKey: string | undefined, method = "POST", body?: unknown): RequestInit => ({
    method,
    headers: {
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const remaining = async (dropId: string) =>
    ((await (await app.request(`/api/drops/${dropId}`)).json()) as { drop: { remaining: number } }).drop
      .remaining;
  const events = async (orderId: string) =>
    (
      await db.query<{ type: string }>(
        "SELECT type FROM events WHERE order_id = $1::uuid AND type NOT IN ('order.created', 'order.held')",
        [orderId],
      )
    ).rows.map((r) => r.type);
  const holdAndPay = async (dropId: string, fan: string) => {
    const won = await call(`/api/drops/${dropId}/purchase`, json({ fan }));
    expect(won.status).toBe(201);
    const { id } = won.body.order;
    const token = won.body.orderToken!;
    const paid = await call(`/api/orders/${id}/pay`, as(token, "POST", { card: "4242424242424242" }));
    expect(paid.status).toBe(200);
    return { id, token };
  };

  it_("collectShipping is set on the drop, answered only when true, and must be a boolean", async () => {
    expect(await createDrop(app, key, { collectShipping: true })).toMatchObject({ collectShipping: true });
    expect(await createDrop(app, key)).not.toHaveProperty("collectShipping");
    const bad = await app.request(
      "/api/drops",
      json(
        { title: "x", priceCents: 1, quantity: 1, collectShipping: "yes" },
        { authorization: `Bearer ${key}` },
      ),
    );
    expect(bad.status).toBe(400);
  });

  it_("a hold drop's fan gives the address with the order token; only the seller sees it", async () => {
    const drop = await createDrop(app, key, { holdMinutes: 10, quantity: 3, collectShipping: true });
    const first = await call(`/api/drops/${drop.id}/purchase`, json({ fan: "Zoe@Fans.test" }));
    const second = await call(`/api/drops/${drop.id}/purchase`, json({ fan: "other@fans.test" }));
    const id = first.body.order.id;
    const path = `/api/orders/${id}/shipping`;

    // The seller sees "address missing" until it is given.
    expect((await call(`/api/seller/orders/${id}`, as(key, "GET"))).body.order).toMatchObject({
      addressMissing: true,
      shipping: null,
      status: "held",
      fan: first.body.order.fan, // as the fan typed it (its readable form), not the limit's key
    });
    // No token, another order's token, a made-up token: nothing is written, nothing leaks.
    expect((await call(path, as(undefined, "PUT", ADDRESS))).status).toBe(401);
    expect((await call(path, as(second.body.orderToken, "PUT", ADDRESS))).status).toBe(404);
    expect((await call(path, as("made-up-token", "PUT", ADDRESS))).status).toBe(404);
    // Invalid addresses: each field says why.
    const invalid = await call(
      path,
      as(first.body.orderToken, "PUT", {
        ...ADDRESS,
        name: "<script>alert(1)</script>",
        country: "XX",
        city: "x".repeat(101),
      }),
    );
    expect(invalid.status).toBe(400);
    expect(invalid.body.error?.issues?.map((i) => i.path).sort()).toEqual(["city", "country", "name"]);
    expect((await call(`/api/seller/orders/${id}`, as(key, "GET"))).body.order.shipping).toBeNull();

    const given = await call(path, as(first.body.orderToken, "PUT", ADDRESS));
    expect(given.status).toBe(200);
    expect(given.body.shipping).toEqual({ ...ADDRESS, country: "FR" });
    const seen = await call(`/api/seller/orders/${id}`, as(key, "GET"));
    expect(seen.body.order).toMatchObject({ addressMissing: false, shipping: { ...ADDRESS, country: "FR" } });

    // Another seller, no key, a fan's token: the seller's read and actions are "not found" / unauthorised.
    expect((await call(`/api/seller/orders/${id}`, as(otherKey, "GET"))).status).toBe(404);
    expect((await call(`/api/seller/orders/${id}`, as(undefined, "GET"))).status).toBe(401);
    expect((await call(`/api/seller/orders/${id}`, as(first.body.orderToken, "GET"))).status).toBe(401);
    for (const action of ["refund", "cancel", "fulfil"]) {
      expect((await call(`/api/orders/${id}/${action}`, as(otherKey))).status).toBe(404);
      expect((await call(`/api/orders/${id}/${action}`, as(undefined))).status).toBe(401);
    }
    // The fan's own order view never carries the address (nor anyone else's).
    const fanView = await app.request(`/api/orders/${id}`, as(first.body.orderToken, "GET"));
    expect(await fanView.text()).not.toContain("Lyon");
    // The CSV of another seller is a 404; the owner's has the address.
    expect((await app.request(`/api/drops/${drop.id}/orders.csv`, as(otherKey, "GET"))).status).toBe(404);
    expect(await (await app.request(`/api/drops/${drop.id}/orders.csv`, as(key, "GET"))).text()).toContain(
      "Lyon",
    );
  });

  it_("fulfil: paid or instant, https tracking only, once; the address is fixed afterwards", async () => {
    const drop = await createDrop(app, key, { holdMinutes: 10, quantity: 2, collectShipping: true });
    const { id, token } = await holdAndPay(drop.id, "shipper@fans.test");
    expect((await call(`/api/orders/${id}/shipping`, as(token, "PUT", ADDRESS))).status).toBe(200);
    for (const trackingUrl of [
      "http://carrier.example/1",
      "javascript:alert(1)",
      "https://",
      "ftp://x.y/z",
    ]) {
      const refused = await call(`/api/orders/${id}/fulfil`, as(key, "POST", { trackingUrl }));
      expect(refused.status, trackingUrl).toBe(400);
    }
    const fulfilled = await call(
      `/api/orders/${id}/fulfil`,
      as(key, "POST", { trackingUrl: "https://carrier.example/track/1Z999" }),
    );
    expect(fulfilled.status).toBe(200);
    expect(fulfilled.body.order).toMatchObject({
      status: "paid",
      trackingUrl: "https://carrier.example/track/1Z999",
    });
    expect(fulfilled.body.order.fulfilledAt).not.toBeNull();
    expect(await events(id)).toEqual(["order.paid", "order.fulfilled"]);
    // Wrong states: fulfilled again, refunded or re-addressed after shipping.
    expect((await call(`/api/orders/${id}/fulfil`, as(key))).body.error).toMatchObject({
      code: "order_state",
      status: "fulfilled",
    });
    expect((await call(`/api/orders/${id}/refund`, as(key))).status).toBe(409);
    const late = await call(`/api/orders/${id}/shipping`, as(token, "PUT", { ...ADDRESS, city: "Paris" }));
    expect(late.status).toBe(409);
    // A held (unpaid) order cannot be fulfilled.
    const held = await call(`/api/drops/${drop.id}/purchase`, json({ fan: "unpaid@fans.test" }));
    expect((await call(`/api/orders/${held.body.order.id}/fulfil`, as(key))).status).toBe(409);
  });

  it_("refund: the money goes back, the unit returns to stock, the fan's receipt says refunded", async () => {
    const drop = await createDrop(app, key, { holdMinutes: 10, quantity: 1 });
    const { id, token } = await holdAndPay(drop.id, "refund-me@fans.test");
    expect(await remaining(drop.id)).toBe(0);
    const refunded = await call(`/api/orders/${id}/refund`, as(key));
    expect(refunded.status).toBe(200);
    expect(refunded.body.order).toMatchObject({ status: "refunded" });
    expect(refunded.body.order.closedAt).not.toBeNull();
    expect(await remaining(drop.id)).toBe(1);
    expect(payments.refunded().map((p) => p.orderId)).toContain(id);
    const attempts = await repo.listPaymentAttempts(db, id);
    expect(attempts.map((a) => a.state)).toEqual(["refunded"]);
    expect(await events(id)).toEqual(["order.paid", "order.refunded"]);
    expect((await call(`/api/orders/${id}`, as(token, "GET"))).body.order.status).toBe("refunded");
    // Twice is a wrong state; the unit returned once, and is sold once again.
    expect((await call(`/api/orders/${id}/refund`, as(key))).status).toBe(409);
    const again = await call(`/api/drops/${drop.id}/purchase`, json({ fan: "next@fans.test" }));
    expect(again.body.order.unitNo).toBe(1);
    expect((await call(`/api/drops/${drop.id}/purchase`, json({ fan: "late@fans.test" }))).status).toBe(409);
  });

  it_(
    "refund on a sold-out hold drop with a waitlist: the unit is offered to the first fan waiting",
    async () => {
      const drop = await createDrop(app, key, { holdMinutes: 10, quantity: 1 });
      const { id } = await holdAndPay(drop.id, "first@fans.test");
      for (const fan of ["wait1@fans.test", "wait2@fans.test"])
        expect((await app.request(`/api/drops/${drop.id}/waitlist`, json({ fan }))).status).toBe(201);
      const place = async (fan: string) =>
        (await (await app.request(`/api/drops/${drop.id}/waitlist/me?fan=${fan}`)).json()) as {
          status: string;
          orderId?: string;
        };
      expect((await place("wait1@fans.test")).status).toBe("waiting");
      expect((await call(`/api/orders/${id}/refund`, as(key))).status).toBe(200);
      // The returned unit went to the list, not back on open sale: the first fan waiting holds it.
      const offered = await place("wait1@fans.test");
      expect(offered.status).toBe("offered");
      expect((await place("wait2@fans.test")).status).toBe("waiting");
      expect(await remaining(drop.id)).toBe(0);
      expect((await call(`/api/drops/${drop.id}/purchase`, json({ fan: "jumper@fans.test" }))).status).toBe(
        409,
      );
      const held = await db.query<{ unit_no: number }>("SELECT unit_no FROM orders WHERE id = $1::uuid", [
        offered.orderId,
      ]);
      expect(held.rows).toEqual([{ unit_no: 1 }]);
    },
  );

  it_("refund while the provider is away: the reconciler gives the money back later", async () => {
    const drop = await createDrop(app, key, { holdMinutes: 10, quantity: 1 });
    const { id } = await holdAndPay(drop.id, "away@fans.test");
    payments.failRefunds = true;
    try {
      expect((await call(`/api/orders/${id}/refund`, as(key))).status).toBe(200);
    } finally {
      payments.failRefunds = false;
    }
    expect(payments.refunded().map((p) => p.orderId)).not.toContain(id);
    expect((await repo.listPaymentAttempts(db, id)).map((a) => a.state)).toEqual(["succeeded"]);
    // The refund's lease (a minute, for the request that started it) runs out: the reconciler settles it.
    await db.query("UPDATE payment_attempts SET lease_until = NULL WHERE order_id = $1::uuid", [id]);
    await app.shop.checkout.reconcilePayments({ graceSeconds: 0, holder: "test" });
    expect(payments.refunded().map((p) => p.orderId)).toContain(id);
    expect((await repo.listPaymentAttempts(db, id)).map((a) => a.state)).toEqual(["refunded"]);
  });

  it_("cancel: an unpaid instant order; its unit is sold again, once, on the instant drop", async () => {
    const drop = await createDrop(app, key, { quantity: 2, maxPerFan: 2 });
    const a = await buy(app, drop.id, "twice@fans.test");
    const b = await buy(app, drop.id, "twice@fans.test");
    expect(await remaining(drop.id)).toBe(0);
    expect((await buy(app, drop.id, "latecomer@fans.test")).status).toBe(409); // sold out, and remembered
    const cancelled = await call(`/api/orders/${a.body.order!.id}/cancel`, as(key));
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.order.status).toBe("cancelled");
    expect(await events(a.body.order!.id)).toEqual(["order.cancelled"]);
    expect(await remaining(drop.id)).toBe(1);
    expect((await call(`/api/orders/${a.body.order!.id}/cancel`, as(key))).status).toBe(409);
    // The fan whose first order was cancelled may buy again (their slots closed up), and gets the unit back.
    const rebought = await buy(app, drop.id, "twice@fans.test");
    expect(rebought.status).toBe(201);
    expect(rebought.body.order!.unitNo).toBe(a.body.order!.unitNo);
    expect((await buy(app, drop.id, "latecomer@fans.test")).status).toBe(409);
    // A paid order is refunded, not cancelled.
    const hold = await createDrop(app, key, { holdMinutes: 10, quantity: 1 });
    const { id } = await holdAndPay(hold.id, "paid@fans.test");
    expect((await call(`/api/orders/${id}/cancel`, as(key))).body.error?.code).toBe("order_state");
    expect(b.status).toBe(201);
  });

  it_("fulfil all: every paid and instant order with its address; the rest wait for one", async () => {
    const drop = await createDrop(app, key, { quantity: 4, collectShipping: true });
    const orders = [];
    for (const fan of ["a@f.test", "b@f.test", "c@f.test"])
      orders.push((await buy(app, drop.id, fan)).body.order!);
    await repo.setShipping(db, orders[0]!.id, { ...ADDRESS, country: "FR" });
    await repo.setShipping(db, orders[1]!.id, { ...ADDRESS, country: "FR" });
    const all = await call(`/api/drops/${drop.id}/orders/fulfil`, as(key));
    expect(all.status).toBe(200);
    expect(all.body).toEqual({ fulfilled: 2, addressMissing: 1 });
    expect((await call(`/api/drops/${drop.id}/orders/fulfil`, as(otherKey))).status).toBe(404);
    expect(
      (await call(`/api/seller/orders/${orders[2]!.id}`, as(key, "GET"))).body.order.addressMissing,
    ).toBe(true);
    expect(await events(orders[0]!.id)).toEqual(["order.fulfilled"]);
  });

  it_(
    "the CSV: UTF-8 with a BOM, one row per order (cancelled too), the address as typed, no formulas",
    async () => {
      const drop = await createDrop(app, key, { quantity: 3, priceCents: 1250, collectShipping: true });
      const kept = (await buy(app, drop.id, "ÉlodieFan")).body.order!;
      const gone = (await buy(app, drop.id, "gone@fans.test")).body.order!;
      await repo.setShipping(db, kept.id, { ...ADDRESS, name: "-Élodie", country: "FR" });
      await call(`/api/orders/${gone.id}/cancel`, as(key));
      await call(`/api/orders/${kept.id}/fulfil`, as(key, "POST", { trackingUrl: "https://t.example/9" }));
      const res = await app.request(`/api/drops/${drop.id}/orders.csv`, as(key, "GET"));
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const lines = new TextDecoder().decode(bytes).trimEnd().split("\r\n");
      expect(lines[0]).toBe(
        "unit,order_id,fan,price,currency,created_at,variant,status,paid_at,ship_name,ship_line1,ship_line2,ship_city,ship_postal_code,ship_country,fulfilled_at,tracking_url",
      );
      expect(lines).toHaveLength(3);
      const row = lines.find((line) => line.includes(kept.id))!;
      expect(row).toContain(`,${kept.fan},12.50,USD,`);
      // The fan as they typed it (fan_shown: accent and letter case kept), never the limit's key.
      expect(kept.fan).toBe("ÉlodieFan");
      expect(row).toContain(`,,fulfilled,,'-Élodie,12 Rue de l'Église,Apt 3,Lyon,69002,FR,`);
      expect(row.endsWith(",https://t.example/9")).toBe(true);
      expect(lines.find((line) => line.includes(gone.id))).toContain(",cancelled,");
    },
  );
});
