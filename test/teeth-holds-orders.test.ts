import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import * as holds from "../src/repository/checkout/holds";
import { openCheckoutShop } from "./support/contention";
import { ALL_BACKENDS, isAvailable } from "./support/databases";
import { createDrop, json } from "./support/shop-fixtures";

/**
 * Issue 21 §3, the holds group's survivors on round five's build: what a hold order says about itself (its
 * payment time) and the repository's lookups that no suite of the mutation set read. Each test here was seen
 * failing with the named mutant of repository/checkout/holds.ts applied by hand.
 */
interface OrderJson {
  id: string;
  status: string;
  paidAt: string | null;
  expiresAt: string;
}
interface Answer {
  order?: OrderJson & { unitNo?: number; variant?: { name: string } };
  orderToken?: string;
  drop?: { variants: { id: string; name: string; quantity: number }[] };
  error?: { code: string };
}

describe.each(ALL_BACKENDS)("a hold order's own record on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    ({ db, app, apiKey } = await openCheckoutShop(backend));
  });
  afterAll(async () => db?.close());

  const it_ = isAvailable(backend) ? it : it.skip;

  const call = async (path: string, init?: RequestInit) => {
    const res = await app.request(path, init);
    return { status: res.status, body: (await res.json()) as Answer };
  };
  const asHolder = (token: string, body?: unknown): RequestInit =>
    body === undefined
      ? { headers: { authorization: `Bearer ${token}` } }
      : json(body, { authorization: `Bearer ${token}` });

  it_(
    "a held order has no payment time; once paid, it has the database's, and its event names fan and payment",
    async () => {
      const drop = await createDrop(app, apiKey, { quantity: 2, holdMinutes: 10 });
      const held = await call(`/api/drops/${drop.id}/purchase`, json({ fan: "paid-at@fans.test" }));
      expect(held.status).toBe(201);
      const { id } = held.body.order!;
      const token = held.body.orderToken!;
      expect(held.body.order).toMatchObject({ status: "held", paidAt: null });
      expect((await call(`/api/orders/${id}`, asHolder(token))).body.order).toMatchObject({ paidAt: null });

      const paid = await call(`/api/orders/${id}/pay`, asHolder(token, { card: "4242424242424242" }));
      expect(paid.status).toBe(200);
      const { rows } = await db.query<{ paid_at: Date }>("SELECT paid_at FROM orders WHERE id = $1::uuid", [
        id,
      ]);
      const stored = new Date(rows[0]!.paid_at).toISOString();
      expect(paid.body.order).toMatchObject({ status: "paid", paidAt: stored });
      expect((await call(`/api/orders/${id}`, asHolder(token))).body.order).toMatchObject({
        status: "paid",
        paidAt: stored,
      });
      // The outbox event says who paid and with which payment (a seller's webhook acts on it without asking back).
      const { rows: events } = await db.query<{ data: string; unit_no: number }>(
        "SELECT data, unit_no FROM events WHERE order_id = $1::uuid AND type = 'order.paid'",
        [id],
      );
      const { rows: refs } = await db.query<{ payment_ref: string }>(
        "SELECT payment_ref FROM orders WHERE id = $1::uuid",
        [id],
      );
      expect(refs[0]!.payment_ref).toEqual(expect.any(String));
      expect(events.map((e) => ({ unitNo: e.unit_no, data: JSON.parse(e.data) }))).toEqual([
        { unitNo: 1, data: { fan: "paid-at@fans.test", paymentRef: refs[0]!.payment_ref } },
      ]);
    },
  );

  it_("findHoldByKey: a held or paid order by its key; an ended hold's key finds nothing", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 2, holdMinutes: 10 });
    const held = await call(
      `/api/drops/${drop.id}/purchase`,
      json({ fan: "by-key@fans.test", idempotencyKey: "hold-by-key" }),
    );
    const { id } = held.body.order!;
    const found = await holds.findHoldByKey(db, drop.id, "hold-by-key");
    expect(found?.order).toMatchObject({ id, status: "held", dropId: drop.id, fan: "by-key@fans.test" });
    expect(found?.fingerprint).toEqual(expect.any(String));
    expect(await holds.findHoldByKey(db, drop.id, "another-key")).toBeUndefined();

    await call(`/api/orders/${id}/release`, asHolder(held.body.orderToken!, {}));
    expect(await holds.findHoldByKey(db, drop.id, "hold-by-key")).toBeUndefined();
  });

  it_("a hold drop whose sizes were renamed (revision 1) holds the renamed size", async () => {
    const drop = await createDrop(app, apiKey, {
      quantity: undefined,
      holdMinutes: 10,
      variants: [
        { name: "Black", quantity: 2 },
        { name: "Sand", quantity: 2 },
      ],
    });
    const sizes = (await call(`/api/drops/${drop.id}`)).body.drop!.variants;
    const id = (name: string) => sizes.find((size) => size.name === name)!.id;
    const renamed = await app.request(`/api/drops/${drop.id}`, {
      ...json(
        {
          variants: [
            { id: id("Black"), name: "Black", quantity: 2 },
            { id: id("Sand"), name: "Stone", quantity: 2 },
          ],
        },
        { authorization: `Bearer ${apiKey}` },
      ),
      method: "PATCH",
    });
    expect(renamed.status).toBe(200);
    const { rows } = await db.query<{ revision: number }>(
      "SELECT variants_revision AS revision FROM drops WHERE id = $1::uuid",
      [drop.id],
    );
    expect(rows[0]!.revision).toBe(1);

    // The claim carries the revision the shop read (1): the gate compares it, and the hold is placed.
    const held = await call(
      `/api/drops/${drop.id}/purchase`,
      json({ fan: "stone@fans.test", variant: "Stone" }),
    );
    expect(held.status).toBe(201);
    expect(held.body.order).toMatchObject({ status: "held", unitNo: 1, variant: { name: "Stone" } });
  });

  it_("claimHold's refusal says whether the fan had a free slot and whether there was stock", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 1, holdMinutes: 10, maxPerFan: 1 });
    const claim = (fan: string, key: string) =>
      holds.claimHold(db, {
        dropId: drop.id,
        fan,
        fanShown: fan,
        idempotencyKey: key,
        fingerprint: `fingerprint-${key}`,
        tokenHash: `token-${key}`,
        attemptNumber: 1,
        startBucket: 0,
        startUnit: 1,
      });
    expect((await claim("one@fans.test", "first")).kind).toBe("placed");
    // The same fan again: at the limit (and the one unit is theirs, so no stock either).
    expect(await claim("one@fans.test", "second")).toMatchObject({
      kind: "refused",
      withinLimit: false,
      hadStock: false,
    });
    // Another fan: a free slot, no stock.
    expect(await claim("two@fans.test", "third")).toMatchObject({
      kind: "refused",
      withinLimit: true,
      hadStock: false,
    });
  });

  it_("a payment refunded after its hold ended is recorded once, with one order.refunded event", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 1, holdMinutes: 10 });
    const held = await call(`/api/drops/${drop.id}/purchase`, json({ fan: "late@fans.test" }));
    const { id } = held.body.order!;
    await db.query("UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = $1::uuid", [id]);

    // The provider reports the refund twice: the ended order says refunded, and there is one event.
    for (let time = 0; time < 2; time++) {
      const order = await holds.recordRefund(db, id, "pay_late_1");
      expect(order).toMatchObject({ id, status: "refunded", paymentRef: "pay_late_1" });
    }
    const { rows } = await db.query<{ data: string }>(
      "SELECT data FROM events WHERE order_id = $1::uuid AND type = 'order.refunded'",
      [id],
    );
    expect(rows.map((row) => JSON.parse(row.data))).toEqual([
      { fan: "late@fans.test", paymentRef: "pay_late_1" },
    ]);
  });

  it_(
    "an ended hold leaves its event (released, expired) and the claims list dates each settled claim",
    async () => {
      const drop = await createDrop(app, apiKey, { quantity: 3, holdMinutes: 10 });
      const hold = async (fan: string) => (await call(`/api/drops/${drop.id}/purchase`, json({ fan }))).body;
      const [released, expired, paid] = [
        await hold("r@fans.test"),
        await hold("e@fans.test"),
        await hold("p@fans.test"),
      ];
      await call(`/api/orders/${released.order!.id}/release`, asHolder(released.orderToken!, {}));
      await db.query("UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = $1::uuid", [
        expired.order!.id,
      ]);
      expect(await app.shop.checkout.sweep()).toBe(1);
      await call(
        `/api/orders/${paid.order!.id}/pay`,
        asHolder(paid.orderToken!, { card: "4242424242424242" }),
      );

      const { rows } = await db.query<{ type: string; unit_no: number; data: string }>(
        `SELECT type, unit_no, data FROM events WHERE drop_id = $1::uuid AND type IN ('order.released', 'order.expired')
       ORDER BY type`,
        [drop.id],
      );
      expect(
        rows.map((row) => ({ type: row.type, unitNo: row.unit_no, data: JSON.parse(row.data) })),
      ).toEqual([
        { type: "order.expired", unitNo: expired.order!.unitNo, data: { fan: "e@fans.test" } },
        { type: "order.released", unitNo: released.order!.unitNo, data: { fan: "r@fans.test" } },
      ]);

      // The claims list: the paid claim is settled at its payment time; a new hold of a returned unit is not settled.
      await hold("again@fans.test");
      const claims = await holds.listUnitClaims(db, drop.id, 10);
      const { rows: stored } = await db.query<{ paid_at: Date }>(
        "SELECT paid_at FROM orders WHERE id = $1::uuid",
        [paid.order!.id],
      );
      expect(claims.find((c) => c.orderId === paid.order!.id)?.settledAt).toEqual(
        new Date(stored[0]!.paid_at),
      );
      const open = claims.filter((c) => c.status === "held");
      expect(open).toHaveLength(1);
      expect(open[0]!.settledAt).toBeNull();
    },
  );

  it_(
    "a sold-out size of a hold drop is believed sold out alone: other sizes still hold at once",
    async () => {
      const drop = await createDrop(app, apiKey, {
        quantity: undefined,
        holdMinutes: 10,
        variants: [
          { name: "Black", quantity: 1 },
          { name: "Sand", quantity: 1 },
          { name: "Stone", quantity: 1 },
        ],
      });
      const hold = (fan: string, variant: string) =>
        call(`/api/drops/${drop.id}/purchase`, json({ fan, variant }));
      expect((await hold("a@fans.test", "Sand")).status).toBe(201);
      // Sand (the second size) sold out: this process now believes it (the app's clock is fixed, so it lasts).
      expect((await hold("b@fans.test", "Sand")).body.error?.code).toBe("sold_out");
      // Every other size has its own key (soldOutKey), the first size and a later one alike: each holds at once.
      for (const [i, name] of ["Stone", "Black"].entries()) {
        const other = await hold(`c${i}@fans.test`, name);
        expect(other.status).toBe(201);
        expect(other.body.order).toMatchObject({ unitNo: 1, variant: { name } });
      }
    },
  );
});
