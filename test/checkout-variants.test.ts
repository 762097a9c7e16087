import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { UNITS_PER_VARIANT } from "../src/domain/purchase";
import { isoFromNow, MINUTE_MS } from "./support/clock";
import { openShop, race, tally } from "./support/contention";
import { ALL_BACKENDS, isAvailable } from "./support/databases";
import { createDrop, json } from "./support/shop-fixtures";

/**
 * A hold drop with variants (issue 18 §1): holds, releases, the expiry sweep and returned units all stay
 * within the variant they came from; each variant holds at most its quantity, and a returned unit is sold
 * again in its own variant with its own number.
 */
type App = ReturnType<typeof createApp>;

interface Held {
  status: number;
  body: {
    order?: { id: string; unitNo: number; priceCents: number; status: string; variant?: { name: string } };
    orderToken?: string;
    error?: { code: string; variant?: string };
  };
}

const COLOURS = [
  { name: "Black", quantity: 3 },
  { name: "Sand", quantity: 2, priceCents: 999 },
];

describe.each(ALL_BACKENDS.filter((b) => b !== "dsql"))("a hold drop with variants on %s", (backend) => {
  let db: Database;
  let app: App;
  let apiKey: string;

  beforeAll(async () => {
    if (isAvailable(backend)) ({ db, app, apiKey } = await openShop(backend, {}));
  });
  afterAll(async () => db?.close());
  const it_ = isAvailable(backend) ? it : it.skip;

  const hold = async (dropId: string, fan: string, variant: string): Promise<Held> => {
    const res = await app.request(
      `/api/drops/${dropId}/purchase`,
      json({ fan, idempotencyKey: randomUUID(), variant }),
    );
    return { status: res.status, body: (await res.json()) as Held["body"] };
  };
  const variantsOf = async (dropId: string) =>
    (
      (await (await app.request(`/api/drops/${dropId}`)).json()) as {
        drop: { variants: { name: string; remaining: number; status: string }[] };
      }
    ).drop.variants.map((v) => [v.name, v.remaining]);

  it_("holds, releases, expiries and resales stay within each variant", async () => {
    const drop = await createDrop(app, apiKey, {
      startsAt: isoFromNow(-MINUTE_MS),
      quantity: undefined,
      holdMinutes: 5,
      variants: COLOURS,
    });
    const answers = await race(60, (i) => hold(drop.id, `fan-${i}@holds.test`, COLOURS[i % 2]!.name));
    expect(tally(answers)).toEqual({ "201 order": 5, "409 sold_out": 55 });
    const held = (name: string) => answers.filter((a) => a.body.order?.variant?.name === name);
    expect(
      held("Black")
        .map((a) => a.body.order!.unitNo)
        .sort(),
    ).toEqual([1, 2, 3]);
    expect(
      held("Sand")
        .map((a) => a.body.order!.unitNo)
        .sort(),
    ).toEqual([1, 2]);
    expect(new Set(held("Sand").map((a) => a.body.order!.priceCents))).toEqual(new Set([999]));
    expect(answers.find((a) => a.body.error?.variant === "Sand")).toBeDefined();
    expect(await variantsOf(drop.id)).toEqual([
      ["Black", 0],
      ["Sand", 0],
    ]);

    // A Sand hold given back: Sand has one unit again, Black none; the next Sand buyer gets that unit.
    const given = held("Sand")[0]!.body;
    const released = await app.request(`/api/orders/${given.order!.id}/release`, {
      method: "POST",
      headers: { authorization: `Bearer ${given.orderToken}` },
    });
    expect(released.status).toBe(200);
    expect(await variantsOf(drop.id)).toEqual([
      ["Black", 0],
      ["Sand", 1],
    ]);
    expect((await hold(drop.id, "late-black@holds.test", "Black")).body.error?.code).toBe("sold_out");
    const again = await hold(drop.id, "late-sand@holds.test", "Sand");
    expect(again.status).toBe(201);
    expect(again.body.order).toMatchObject({ unitNo: given.order!.unitNo, priceCents: 999 });

    // Black's holds run out: the sweep returns three units to Black and none to Sand.
    await db.query(
      `UPDATE orders SET expires_at = now() - interval '1 second'
       WHERE drop_id = $1::uuid AND unit_no <= $2::int AND status = 'held'`,
      [drop.id, UNITS_PER_VARIANT],
    );
    expect(await app.shop.checkout.sweep()).toBe(3);
    expect(await variantsOf(drop.id)).toEqual([
      ["Black", 3],
      ["Sand", 0],
    ]);
    const resold = await race(10, (i) => hold(drop.id, `second-${i}@holds.test`, "Black"));
    expect(tally(resold)).toEqual({ "201 order": 3, "409 sold_out": 7 });
    expect(resold.flatMap((a) => (a.body.order ? [a.body.order.unitNo] : [])).sort()).toEqual([1, 2, 3]);
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM orders WHERE drop_id = $1::uuid GROUP BY unit_no HAVING count(*) > 1",
      [drop.id],
    );
    expect(rows).toEqual([]);
  });
});
