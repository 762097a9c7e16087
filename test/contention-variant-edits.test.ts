import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { createApp } from "../src/app";
import { UNITS_PER_VARIANT } from "../src/domain/purchase";
import { isoFromNow, MINUTE_MS } from "./support/clock";
import { race, tally } from "./support/contention";
import { ALL_BACKENDS, isAvailable } from "./support/databases";
import { audit, createDrop, json } from "./support/shop-fixtures";
import { openTwoApps, type TwoApps } from "./support/two-apps";

/**
 * A seller shrinking and removing sizes of a live drop while buyers hammer them (issue 18 §1), with the
 * buyers on another app (process) whose cached list of sizes still has the old quantities and the removed
 * size: the stock is the database's, so no size ever sells more than its quantity, on every backend.
 */
type App = ReturnType<typeof createApp>;

interface SizeJson {
  id: string;
  name: string;
  quantity: number;
  remaining: number;
}

describe.each(ALL_BACKENDS.filter((b) => b !== "dsql"))("editing sizes under a stampede on %s", (backend) => {
  let apps: TwoApps;

  beforeAll(async () => {
    if (isAvailable(backend)) apps = await openTwoApps(backend);
  });
  afterAll(async () => apps?.close());
  const it_ = isAvailable(backend) ? it : it.skip;

  const sizesOf = async (app: App, dropId: string): Promise<SizeJson[]> =>
    ((await (await app.request(`/api/drops/${dropId}`)).json()) as { drop: { variants: SizeJson[] } }).drop
      .variants;
  const patchSizes = async (dropId: string, variants: unknown[]) => {
    const res = await apps.app.request(`/api/drops/${dropId}`, {
      ...json({ variants }, { authorization: `Bearer ${apps.apiKey}` }),
      method: "PATCH",
    });
    return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
  };
  const buy = async (dropId: string, variant: string) => {
    const res = await apps.otherApp.request(
      `/api/drops/${dropId}/purchase`,
      json({ fan: `${randomUUID()}@stampede.test`, idempotencyKey: randomUUID(), variant }),
    );
    return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
  };
  /** Orders per size position, counted in the database. */
  const ordersByPosition = async (dropId: string) => {
    const { rows } = await apps.db.query<{ position: number; n: number }>(
      `SELECT (unit_no - 1) / ${UNITS_PER_VARIANT} AS position, count(*)::int AS n FROM orders
       WHERE drop_id = $1::uuid GROUP BY 1`,
      [dropId],
    );
    return new Map(rows.map((row) => [Number(row.position), row.n]));
  };

  for (const holdMinutes of [undefined, 5]) {
    const mode = holdMinutes ? "hold" : "instant";
    it_(`${mode}: buyers on a stale app never get more of a size than the seller shrank it to`, async () => {
      const drop = await createDrop(apps.app, apps.apiKey, {
        startsAt: isoFromNow(-MINUTE_MS),
        quantity: undefined,
        holdMinutes,
        variants: [
          { name: "S", quantity: 5 },
          { name: "M", quantity: 400 },
          { name: "L", quantity: 20 },
        ],
      });
      // The buyers' app caches the drop and its sizes as created (a first purchase reads them).
      expect((await buy(drop.id, "S")).status).toBe(201);
      const before = await sizesOf(apps.app, drop.id);
      const id = (name: string) => before.find((size) => size.name === name)!.id;

      // 200 buyers of M (fewer than its 400: only the seller's edits can sell it out) while the seller lowers M
      // again and again (each edit a chance to race a sale), then to what it has sold so far, again whenever a
      // sale between the read and the edit refuses it.
      const editM = async (quantity: (m: SizeJson) => number) => {
        const m = (await sizesOf(apps.app, drop.id)).find((size) => size.name === "M")!;
        const wanted = quantity(m);
        const answer = await patchSizes(drop.id, [
          { id: id("S"), name: "S", quantity: 5 },
          { id: id("M"), name: "M", quantity: wanted },
          { id: id("L"), name: "L", quantity: 20 },
        ]);
        if (answer.status !== 200) expect(answer.body.error?.code).toBe("variant_below_sold");
        return answer.status === 200 ? wanted : undefined;
      };
      let shrunk: number | undefined;
      const seller = async () => {
        for (let step = 0; step < 30; step++) await editM((m) => m.quantity - 3);
        for (let attempt = 0; attempt < 200 && shrunk === undefined; attempt++)
          shrunk = await editM((m) => Math.max(1, m.quantity - m.remaining));
      };
      const [answers] = await Promise.all([race(200, () => buy(drop.id, "M")), seller()]);
      expect(shrunk).toBeDefined();
      const counts = tally(answers);
      expect(Object.keys(counts).sort()).toEqual(
        counts["409 sold_out"] ? ["201 order", "409 sold_out"] : ["201 order"],
      );
      const sold = (await ordersByPosition(drop.id)).get(1) ?? 0;
      const m = (await sizesOf(apps.app, drop.id)).find((size) => size.name === "M")!;
      expect(m.quantity).toBe(shrunk);
      expect(sold).toBe(counts["201 order"]);
      expect(sold).toBeLessThanOrEqual(m.quantity);
      expect(sold + m.remaining).toBe(m.quantity);
      // The books agree: nothing oversold, no unit twice, and the numbers M handed out before it was lowered
      // (which may run past its new quantity) are not "out of range".
      expect((await audit(apps.app, drop.id, apps.apiKey)).body).toMatchObject({
        oversold: 0,
        duplicateUnits: 0,
        unitsOutOfRange: 0,
      });

      // Once shrunk to what sold, M is sold out for the stale app too; L, removed, sells nothing there.
      expect(
        (
          await patchSizes(drop.id, [
            { id: id("S"), name: "S", quantity: 5 },
            { id: id("M"), name: "M", quantity: m.quantity },
          ])
        ).status,
      ).toBe(200);
      const late = await race(40, (i) => buy(drop.id, i % 2 ? "M" : "L"));
      expect(late.filter((answer) => answer.status === 201)).toEqual([]);
      expect(late.every((answer) => answer.status === 409 || answer.status === 422)).toBe(true);
      const after = await ordersByPosition(drop.id);
      expect(after.get(1) ?? 0).toBe(sold);
      expect(after.get(2)).toBeUndefined();
    });
  }

  for (const holdMinutes of [undefined, 5]) {
    const mode = holdMinutes ? "hold" : "instant";
    it_(
      `${mode}: sizes re-ordered and re-priced before go-live sell at their new place and price on a stale app`,
      async () => {
        const drop = await createDrop(apps.app, apps.apiKey, {
          startsAt: isoFromNow(60 * MINUTE_MS),
          quantity: undefined,
          holdMinutes,
          variants: [
            { name: "S", quantity: 3 },
            { name: "M", quantity: 3, priceCents: 3100 },
          ],
        });
        // The buyers' app reads the drop and caches its sizes as created: M second, at 31.00.
        expect((await sizesOf(apps.otherApp, drop.id)).map((size) => size.name)).toEqual(["S", "M"]);
        const edited = await patchSizes(drop.id, [
          { name: "M", quantity: 3, priceCents: 4000 },
          { name: "S", quantity: 3 },
        ]);
        expect(edited.status).toBe(200);
        // Go-live comes (on the database clock, which decides it).
        await apps.db.query("UPDATE drops SET starts_at = now() - interval '1 second' WHERE id = $1::uuid", [
          drop.id,
        ]);

        const res = await apps.otherApp.request(
          `/api/drops/${drop.id}/purchase`,
          json({ fan: "late-reader@stampede.test", idempotencyKey: randomUUID(), variant: "M" }),
        );
        expect(res.status).toBe(201);
        const { order } = (await res.json()) as { order: { priceCents: number; variant: { name: string } } };
        expect(order).toMatchObject({ priceCents: 4000, variant: { name: "M" } });
        // M is now the first size: its unit lies in place 0's range, and S (place 1) sold nothing.
        expect(await ordersByPosition(drop.id)).toEqual(new Map([[0, 1]]));
      },
    );
  }
});
