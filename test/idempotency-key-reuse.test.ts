import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { openShop, orderCount } from "./support/contention";
import { ALL_BACKENDS, isAvailable } from "./support/databases";
import { buy, createDrop, json } from "./support/shop-fixtures";

/**
 * Outside review, finding 7: an idempotency key is bound to the request that first used it (drop, fan).
 * Another fan sending a used key must get 422 idempotency_key_reused and nothing of the first fan's order.
 */
describe.each(ALL_BACKENDS)("idempotency key reuse on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;

  beforeAll(async () => {
    if (isAvailable(backend)) ({ db, app, apiKey } = await openShop(backend, {}));
  });
  afterAll(async () => db?.close());

  const it_ = isAvailable(backend) ? it : it.skip;

  it_("a second fan with a used key gets 422 and none of the first fan's data", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 5 });
    const first = await buy(app, drop.id, "first@fans.test", "shared-key");
    expect(first.status).toBe(201);

    const second = await buy(app, drop.id, "second@fans.test", "shared-key");
    expect(second.status).toBe(422);
    expect(second.body.error?.code).toBe("idempotency_key_reused");
    expect(JSON.stringify(second.body)).not.toContain("first@fans.test");
    expect(JSON.stringify(second.body)).not.toContain(first.body.order!.id);

    // The rightful owner still gets their order back, and nothing more was sold.
    const replay = await buy(app, drop.id, "first@fans.test", "shared-key");
    expect(replay.status).toBe(200);
    expect(replay.body.order).toEqual(first.body.order);
    expect(await orderCount(db, drop.id)).toBe(1);
  });

  it_("after sold out, a stranger reusing a winner's key gets 422, not the winner's order", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 1 });
    expect((await buy(app, drop.id, "winner@fans.test", "winner-key")).status).toBe(201);
    expect((await buy(app, drop.id, "late@fans.test")).body.error?.code).toBe("sold_out");

    const stranger = await buy(app, drop.id, "stranger@fans.test", "winner-key");
    expect(stranger.status).toBe(422);
    expect(stranger.body.error?.code).toBe("idempotency_key_reused");
    expect(JSON.stringify(stranger.body)).not.toContain("winner@fans.test");
  });

  it_(
    "the fan's letter case is kept on the order, and a retry in another case is the same request",
    async () => {
      const drop = await createDrop(app, apiKey, { quantity: 2 });
      const first = await buy(app, drop.id, "Ada.Lovelace@Fans.test", "cased-key");
      expect(first.status).toBe(201);
      expect(first.body.order!.fan).toBe("Ada.Lovelace@Fans.test");
      const retried = await buy(app, drop.id, "ada.lovelace@fans.test", "cased-key");
      expect(retried.status).toBe(200);
      expect(retried.body.order).toEqual(first.body.order);
      // The limit's key ignores case: another key in another case is the same fan, at the limit.
      expect((await buy(app, drop.id, "ADA.LOVELACE@FANS.TEST")).body.error?.code).toBe("limit_reached");
      expect(await orderCount(db, drop.id)).toBe(1);
    },
  );

  it_("the same key on another drop is another request, not a reuse", async () => {
    const one = await createDrop(app, apiKey, { quantity: 2 });
    const two = await createDrop(app, apiKey, { quantity: 2 });
    expect((await buy(app, one.id, "fan@fans.test", "per-drop-key")).status).toBe(201);
    expect((await buy(app, two.id, "fan@fans.test", "per-drop-key")).status).toBe(201);
  });

  /** One fan, one key, a size named by its name or by its id; the answer's status and error code. */
  const buySize = async (dropId: string, fan: string, key: string, variant: string) => {
    const res = await app.request(
      `/api/drops/${dropId}/purchase`,
      json({ fan, idempotencyKey: key, variant }),
    );
    const body = (await res.json()) as { order?: { id: string }; error?: { code: string } };
    return { status: res.status, orderId: body.order?.id, code: body.error?.code };
  };
  const sizeIds = async (dropId: string) =>
    Object.fromEntries(
      (
        (await (await app.request(`/api/drops/${dropId}`)).json()) as {
          drop: { variants: { id: string; name: string }[] };
        }
      ).drop.variants.map((v) => [v.name, v.id]),
    );

  // Issue 18: the size is part of the request a key is bound to, on instant and on hold drops alike.
  for (const holdMinutes of [undefined, 5]) {
    const mode = holdMinutes ? "hold" : "instant";
    it_(
      `a key reused for another size of an ${mode}-mode drop is refused; the same size by id replays`,
      async () => {
        const drop = await createDrop(app, apiKey, {
          quantity: undefined,
          holdMinutes,
          variants: [
            { name: "S", quantity: 3 },
            { name: "M", quantity: 3 },
          ],
        });
        const first = await buySize(drop.id, "fan@sizes.test", `size-key-${mode}`, "M");
        expect(first.status).toBe(201);

        const other = await buySize(drop.id, "fan@sizes.test", `size-key-${mode}`, "S");
        expect(other).toMatchObject({ status: 422, code: "idempotency_key_reused" });

        // "M" named by its id is the same request: the first order comes back.
        const byId = await buySize(
          drop.id,
          "fan@sizes.test",
          `size-key-${mode}`,
          (await sizeIds(drop.id)).M!,
        );
        expect(byId).toMatchObject({ status: 200, orderId: first.orderId });
        expect(await orderCount(db, drop.id)).toBe(1);
      },
    );
  }
});
