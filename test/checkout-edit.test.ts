import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { TestPaymentProvider } from "../src/domain/checkout/payments";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { buy, createDrop, createSeller, json } from "./support/shop-fixtures";

/**
 * Editing a drop's checkout (holdMinutes) through the API. Before go-live the seller may switch between
 * instant orders and checkout, and another process that cached the drop the old way still sells it the new
 * way (the purchase statements check the mode in their own snapshot). Once live the mode is fixed like the
 * price (409 with the reason); a hold drop's length may change and applies to holds given afterwards.
 */
describe.each(ALL_BACKENDS)("editing a drop's checkout on %s", (backend) => {
  let db: Database;
  let apps: ReturnType<typeof createApp>[];
  let apiKey: string;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    const payments = new TestPaymentProvider();
    // Two processes over one database: each with its own cache of drops.
    apps = [0, 1].map(() => createApp({ db, payments, logError: (e) => console.error(e) }));
    ({ apiKey } = await createSeller(apps[0]!));
  });
  afterAll(async () => db?.close());

  const it_ = isAvailable(backend) ? it : it.skip;
  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

  const patch = async (id: string, body: unknown) => {
    const res = await apps[0]!.request(`/api/drops/${id}`, {
      ...json(body, { authorization: `Bearer ${apiKey}` }),
      method: "PATCH",
    });
    return {
      status: res.status,
      body: (await res.json()) as {
        drop: { holdMinutes?: number; status: string };
        error?: { code: string; message: string };
      },
    };
  };

  const orderRow = async (dropId: string) =>
    (
      await db.query<{ status: string | null; expires_at: Date | null }>(
        "SELECT status, expires_at FROM orders WHERE drop_id = $1::uuid",
        [dropId],
      )
    ).rows;

  it_(
    "before go-live: instant to checkout and back, a process that cached the old mode sells the new one",
    async () => {
      const drop = await createDrop(apps[0]!, apiKey, { startsAt: inAnHour(), quantity: 3 });
      // The second process caches the drop as instant (not live yet: nothing sold).
      expect((await buy(apps[1]!, drop.id, "early@example.com")).body.error?.code).toBe("not_live");

      const switched = await patch(drop.id, { holdMinutes: 10, startsAt: new Date().toISOString() });
      expect(switched.status).toBe(200);
      expect(switched.body.drop).toMatchObject({ holdMinutes: 10, status: "live" });

      const held = await apps[1]!.request(`/api/drops/${drop.id}/purchase`, json({ fan: "fan@example.com" }));
      expect(held.status).toBe(201);
      expect(((await held.json()) as { order: { status: string } }).order.status).toBe("held");
      expect((await orderRow(drop.id)).map((r) => r.status)).toEqual(["held"]);
    },
  );

  it_(
    "before go-live: checkout to instant, a process that cached checkout places an instant order",
    async () => {
      const drop = await createDrop(apps[0]!, apiKey, { startsAt: inAnHour(), holdMinutes: 10 });
      expect((await buy(apps[1]!, drop.id, "early@example.com")).body.error?.code).toBe("not_live");

      const switched = await patch(drop.id, { holdMinutes: 0, startsAt: new Date().toISOString() });
      expect(switched.status).toBe(200);
      expect(switched.body.drop).not.toHaveProperty("holdMinutes");

      const bought = await buy(apps[1]!, drop.id, "fan@example.com");
      expect(bought.status).toBe(201);
      expect(bought.body.order?.unitNo).toBe(1);
      expect(await orderRow(drop.id)).toEqual([{ status: null, expires_at: null }]);
    },
  );

  it_(
    "once live: the mode is fixed (409, said why); a new hold length applies to new holds only",
    async () => {
      const drop = await createDrop(apps[0]!, apiKey, { holdMinutes: 10, quantity: 3, maxPerFan: 1 });
      expect((await buy(apps[0]!, drop.id, "first@example.com")).status).toBe(201);

      const refused = await patch(drop.id, { holdMinutes: 0 });
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: "drop_live" });
      expect(refused.body.error?.message).toMatch(/orders mode \(instant or checkout\) are fixed/);

      const longer = await patch(drop.id, { holdMinutes: 30 });
      expect(longer.status).toBe(200);
      expect(longer.body.drop.holdMinutes).toBe(30);
      expect((await buy(apps[1]!, drop.id, "second@example.com")).status).toBe(201);

      const { rows } = await db.query<{ fan: string; minutes: number }>(
        `SELECT fan_shown AS fan, round(extract(epoch FROM expires_at - created_at) / 60)::int AS minutes
       FROM orders WHERE drop_id = $1::uuid ORDER BY created_at`,
        [drop.id],
      );
      expect(rows).toEqual([
        { fan: "first@example.com", minutes: 10 },
        { fan: "second@example.com", minutes: 30 },
      ]);

      const instant = await createDrop(apps[0]!, apiKey);
      expect((await patch(instant.id, { holdMinutes: 5 })).status).toBe(409);
      expect((await patch(instant.id, { holdMinutes: 0, title: "Still instant" })).status).toBe(200);
    },
  );

  it_("holdMinutes out of range or not whole is a 400 naming the field", async () => {
    const drop = await createDrop(apps[0]!, apiKey, { startsAt: inAnHour() });
    for (const holdMinutes of [61, -1, 2.5, "10"]) {
      const bad = await patch(drop.id, { holdMinutes });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain("holdMinutes");
    }
  });
});
