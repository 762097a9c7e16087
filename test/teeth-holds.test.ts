import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { TestPaymentProvider } from "../src/domain/checkout/payments";
import { openCheckoutShop } from "./support/contention";
import { ALL_BACKENDS, isAvailable } from "./support/databases";
import { createDrop, json } from "./support/shop-fixtures";

/**
 * Issue 21 §1 and §2: the guards of hold (checkout) drops, each with a test that fails when the guard is
 * removed. Every key-reuse and pause test elsewhere used instant drops; these use hold drops.
 * The app's clock is fixed, so this process's short "sold out" belief (HOLD_SOLD_OUT_MS) never runs out
 * during a test: only the guard under test (a returned unit ends the belief) can end it.
 */
interface HoldAnswer {
  order?: { id: string; unitNo: number; status: string; fan?: string };
  orderToken?: string;
  payment?: { id: string; status: string };
  error?: { code: string; refunded?: boolean };
}

describe.each(ALL_BACKENDS)("hold drop guards on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;
  const payments = new TestPaymentProvider();

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    ({ db, app, apiKey } = await openCheckoutShop(backend, payments));
  });
  afterAll(async () => db?.close());

  const it_ = isAvailable(backend) ? it : it.skip;

  const call = async (path: string, init: RequestInit) => {
    const res = await app.request(path, init);
    return { status: res.status, body: (await res.json()) as HoldAnswer };
  };
  const hold = (dropId: string, fan: string, idempotencyKey?: string) =>
    call(`/api/drops/${dropId}/purchase`, json({ fan, ...(idempotencyKey ? { idempotencyKey } : {}) }));
  const asFan = (token: string | undefined, body: unknown = {}): RequestInit => ({
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const holdDrop = (overrides: Record<string, unknown> = {}) =>
    createDrop(app, apiKey, { quantity: 3, holdMinutes: 10, ...overrides });
  const orderRows = async (dropId: string) =>
    (
      await db.query<{ fan: string; fan_slot: number; status: string; payment_ref: string | null }>(
        // The fan as typed: `fan` itself is the per-fan key (a confusables skeleton, docs/identity.md).
        `SELECT coalesce(fan_shown, fan) AS fan, fan_slot, status, payment_ref FROM orders
         WHERE drop_id = $1::uuid ORDER BY fan, fan_slot`,
        [dropId],
      )
    ).rows;

  it_("a second fan reusing a key on a hold drop gets 422 and nothing of the first fan's hold", async () => {
    const drop = await holdDrop();
    const first = await hold(drop.id, "first@fans.test", "shared-hold-key");
    expect(first.status).toBe(201);
    expect(first.body.order?.status).toBe("held");

    const second = await hold(drop.id, "second@fans.test", "shared-hold-key");
    expect(second.status).toBe(422);
    expect(second.body.error?.code).toBe("idempotency_key_reused");
    expect(JSON.stringify(second.body)).not.toContain("first@fans.test");
    expect(JSON.stringify(second.body)).not.toContain(first.body.order!.id);
    expect(second.body.orderToken).toBeUndefined();

    // The rightful owner gets their hold back (without a new token), and nothing more was held.
    const replay = await hold(drop.id, "first@fans.test", "shared-hold-key");
    expect(replay.status).toBe(200);
    expect(replay.body.order?.id).toBe(first.body.order!.id);
    expect(replay.body.orderToken).toBeUndefined();
    expect(await orderRows(drop.id)).toHaveLength(1);
  });

  it_("a paused hold drop places no hold; resumed, it does", async () => {
    const drop = await holdDrop();
    const auth = { method: "POST", headers: { authorization: `Bearer ${apiKey}` } };
    expect((await app.request(`/api/drops/${drop.id}/pause`, auth)).status).toBe(200);
    const paused = await hold(drop.id, "paused@fans.test");
    expect(paused.status).toBe(409);
    expect(paused.body.error?.code).toBe("paused");
    // A key does not get round the pause either (it skips the sold-out belief, not the gate).
    expect((await hold(drop.id, "paused@fans.test", "paused-key")).body.error?.code).toBe("paused");
    expect(await orderRows(drop.id)).toEqual([]);

    expect((await app.request(`/api/drops/${drop.id}/resume`, auth)).status).toBe(200);
    expect((await hold(drop.id, "paused@fans.test")).status).toBe(201);
  });

  it_(
    "a second payment confirmed (3-D Secure) after the order was paid with another is refunded; the first stays",
    async () => {
      const drop = await holdDrop();
      const held = await hold(drop.id, "twice@fans.test");
      const { id } = held.body.order!;
      const token = held.body.orderToken;
      // A payment that needs the fan's second step, then the order paid with another card meanwhile.
      const pending = await call(`/api/orders/${id}/pay`, asFan(token, { card: "4000002500003155" }));
      expect(pending.status).toBe(202);
      const paid = await call(`/api/orders/${id}/pay`, asFan(token, { card: "4242424242424242" }));
      expect(paid.status).toBe(200);
      expect(paid.body.order?.status).toBe("paid");
      const [kept] = payments.captured().filter((p) => p.orderId === id);

      // The fan finishes the first payment's second step: the provider takes the money, the order refuses it.
      const late = await call(`/api/orders/${id}/pay`, asFan(token, { paymentId: pending.body.payment!.id }));
      expect(late.status).toBe(409);
      expect(late.body.error?.code).toBe("order_not_payable");
      expect(await orderRows(drop.id)).toEqual([
        { fan: "twice@fans.test", fan_slot: 1, status: "paid", payment_ref: kept!.id },
      ]);
      // One payment kept for one order; the late one went back.
      expect(payments.captured().filter((p) => p.orderId === id)).toEqual([kept]);
      expect(payments.refunded().map((p) => p.id)).toContain(pending.body.payment!.id);
    },
  );

  it_(
    "a hold per fan slot: the limit refuses a second hold, a release frees the slot, the lowest first",
    async () => {
      const one = await holdDrop({ maxPerFan: 1 });
      const first = await hold(one.id, "slots@fans.test");
      expect(first.status).toBe(201);
      const again = await hold(one.id, "slots@fans.test");
      expect(again.status).toBe(409);
      expect(again.body.error?.code).toBe("limit_reached");
      const released = await call(
        `/api/orders/${first.body.order!.id}/release`,
        asFan(first.body.orderToken),
      );
      expect(released.body.order?.status).toBe("released");
      expect((await hold(one.id, "slots@fans.test")).status).toBe(201);

      const two = await holdDrop({ maxPerFan: 2 });
      const a = await hold(two.id, "slots@fans.test");
      const b = await hold(two.id, "slots@fans.test");
      expect([a.status, b.status]).toEqual([201, 201]);
      expect((await hold(two.id, "slots@fans.test")).body.error?.code).toBe("limit_reached");
      expect((await orderRows(two.id)).map((r) => r.fan_slot)).toEqual([1, 2]);
      await call(`/api/orders/${a.body.order!.id}/release`, asFan(a.body.orderToken));
      expect((await hold(two.id, "slots@fans.test")).status).toBe(201);
      expect((await orderRows(two.id)).map((r) => r.fan_slot)).toEqual([1, 2]);
      // Another fan's slots are their own.
      expect((await hold(two.id, "other@fans.test")).status).toBe(201);
    },
  );

  it_("sold out is believed until a unit comes back: a release ends the belief at once", async () => {
    const drop = await holdDrop({ quantity: 1 });
    const winner = await hold(drop.id, "winner@fans.test");
    expect(winner.status).toBe(201);
    expect((await hold(drop.id, "waiting@fans.test")).body.error?.code).toBe("sold_out");
    // Answered from the belief, without asking the database (whose answer would be the same).
    expect((await hold(drop.id, "waiting@fans.test")).body.error?.code).toBe("sold_out");

    await call(`/api/orders/${winner.body.order!.id}/release`, asFan(winner.body.orderToken));
    const next = await hold(drop.id, "waiting@fans.test");
    expect(next.status).toBe(201);
    expect(next.body.order?.unitNo).toBe(1);
  });

  it_("sold out is believed until a unit comes back: the expiry sweep ends the belief at once", async () => {
    const drop = await holdDrop({ quantity: 1 });
    const winner = await hold(drop.id, "winner@fans.test");
    expect((await hold(drop.id, "waiting@fans.test")).body.error?.code).toBe("sold_out");
    // The hold runs out (moved on the database clock, which decides expiry), and a sweep returns its unit.
    await db.query("UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = $1::uuid", [
      winner.body.order!.id,
    ]);
    expect(await app.shop.checkout.sweep()).toBe(1);
    const next = await hold(drop.id, "waiting@fans.test");
    expect(next.status).toBe(201);
    expect(next.body.order?.unitNo).toBe(1);
  });
});
