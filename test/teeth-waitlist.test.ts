import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { openCheckoutShop } from "./support/contention";
import { ALL_BACKENDS, isAvailable } from "./support/databases";
import { createDrop, json } from "./support/shop-fixtures";

/**
 * Issue 21 §3: `returnUnits` (repository/checkout/holds.ts) hands a returned unit to the drop's waitlist in the
 * same transaction, counting the units per drop. The fairness proofs reach it only through a 500-fan waitlist
 * (minutes per mutant), so the mutation group had no quick suite that saw it: here one sweep returns units of
 * two drops at once (two of one, one of the other), and each drop's waiting fans get exactly as many offers,
 * in list order, with no unit left free for a buyer. The sweep's expiry is moved on the database clock;
 * no sleeps.
 */
interface Answer {
  order?: { id: string; unitNo: number };
  status?: string;
  position?: number | null;
  unitNo?: number;
  error?: { code: string };
}

describe.each(ALL_BACKENDS)("a returned unit goes to the waitlist first, on %s", (backend) => {
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
    return { status: res.status, body: (res.status === 204 ? {} : await res.json()) as Answer };
  };
  /** A hold drop of `quantity` units, every one held, and `waiting` fans on its waitlist, in that order. */
  const soldOutWithWaitlist = async (quantity: number, waiting: readonly string[]) => {
    const drop = await createDrop(app, apiKey, { quantity, holdMinutes: 10 });
    for (let i = 0; i < quantity; i++) {
      expect(
        (await call(`/api/drops/${drop.id}/purchase`, json({ fan: `buyer${i}@fans.test` }))).status,
      ).toBe(201);
    }
    for (const [i, fan] of waiting.entries()) {
      const joined = await call(`/api/drops/${drop.id}/waitlist`, json({ fan }));
      expect(joined).toMatchObject({ status: 201, body: { position: i + 1 } });
    }
    return drop;
  };
  const statusOf = async (dropId: string, fan: string) =>
    (await call(`/api/drops/${dropId}/waitlist/me?fan=${encodeURIComponent(fan)}`)).body;
  const freeUnits = async (dropId: string) =>
    (
      await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM returned_units WHERE drop_id = $1::uuid",
        [dropId],
      )
    ).rows[0]!.n;

  it_(
    "one sweep returning units of two drops offers each drop's units to its own waiting fans, in order",
    async () => {
      const two = await soldOutWithWaitlist(2, ["w1@fans.test", "w2@fans.test", "w3@fans.test"]);
      const one = await soldOutWithWaitlist(1, ["v1@fans.test", "v2@fans.test"]);

      // Every hold of both drops lapses (on the database clock, which decides expiry); one sweep ends them all.
      await db.query(
        "UPDATE orders SET expires_at = now() - interval '1 second' WHERE drop_id = ANY($1::uuid[]) AND status = 'held'",
        [[two.id, one.id]],
      );
      expect(await app.shop.checkout.sweep()).toBe(3);

      // Two units of the first drop: its first two fans, one unit each; the third still waits, now first.
      const offered = [await statusOf(two.id, "w1@fans.test"), await statusOf(two.id, "w2@fans.test")];
      expect(offered.map((s) => s.status)).toEqual(["offered", "offered"]);
      expect(offered.map((s) => s.unitNo).sort()).toEqual([1, 2]);
      expect(await statusOf(two.id, "w3@fans.test")).toEqual({ status: "waiting", position: 1 });
      // One unit of the second drop: its first fan only.
      expect(await statusOf(one.id, "v1@fans.test")).toMatchObject({ status: "offered", unitNo: 1 });
      expect(await statusOf(one.id, "v2@fans.test")).toEqual({ status: "waiting", position: 1 });
      // No unit was left free for a buyer who did not wait: a buyer hears sold out on both drops.
      expect([await freeUnits(two.id), await freeUnits(one.id)]).toEqual([0, 0]);
      for (const drop of [two, one]) {
        const late = await call(`/api/drops/${drop.id}/purchase`, json({ fan: "late@fans.test" }));
        expect(late.body.error?.code).toBe("sold_out");
      }
    },
  );

  it_("a released hold's unit goes to the first waiting fan, not back on sale", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 1, holdMinutes: 10 });
    const held = await app.request(`/api/drops/${drop.id}/purchase`, json({ fan: "holder@fans.test" }));
    const { order, orderToken } = (await held.json()) as { order: { id: string }; orderToken: string };
    expect((await call(`/api/drops/${drop.id}/waitlist`, json({ fan: "next@fans.test" }))).status).toBe(201);

    const released = await call(
      `/api/orders/${order.id}/release`,
      json({}, { authorization: `Bearer ${orderToken}` }),
    );
    expect(released.status).toBe(200);
    expect(await statusOf(drop.id, "next@fans.test")).toMatchObject({ status: "offered", unitNo: 1 });
    expect(await freeUnits(drop.id)).toBe(0);
  });
});
