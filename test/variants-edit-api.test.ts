import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { HOUR_MS, isoFromNow, MINUTE_MS } from "./support/clock";
import { openShop } from "./support/contention";
import { ALL_BACKENDS, isAvailable } from "./support/databases";
import { createDrop, json } from "./support/shop-fixtures";

/**
 * Sizes and shipping edited after creation (issue 18 §1, §2) through PATCH /api/drops/:id. Before go-live the
 * list is the seller's to rewrite; once live each size keeps its place and may be renamed, lowered to what
 * it sold, or removed while it has no orders; growth, new sizes and new prices are fixed terms (drop_live).
 * A refused edit writes nothing; every edit writes drop.updated.
 */
type App = ReturnType<typeof createApp>;

interface SizeJson {
  id: string;
  name: string;
  quantity: number;
  priceCents: number | null;
  remaining: number;
}
interface Answer {
  status: number;
  body: {
    drop: {
      title: string;
      quantity: number;
      remaining: number;
      collectShipping?: boolean;
      variants: SizeJson[];
    };
    error?: { code: string; variant?: string; sold?: number };
  };
}

describe.each(ALL_BACKENDS.filter((b) => b !== "dsql"))("editing a drop's sizes on %s", (backend) => {
  let db: Database;
  let app: App;
  let apiKey: string;

  beforeAll(async () => {
    if (isAvailable(backend)) ({ db, app, apiKey } = await openShop(backend, {}));
  });
  afterAll(async () => db?.close());
  const it_ = isAvailable(backend) ? it : it.skip;

  const patch = async (dropId: string, body: unknown): Promise<Answer> => {
    const res = await app.request(`/api/drops/${dropId}`, {
      ...json(body, { authorization: `Bearer ${apiKey}` }),
      method: "PATCH",
    });
    return { status: res.status, body: (await res.json()) as Answer["body"] };
  };
  const read = async (dropId: string): Promise<Answer["body"]["drop"]> =>
    ((await (await app.request(`/api/drops/${dropId}`)).json()) as Answer["body"]).drop;
  const buy = async (dropId: string, variant: string) => {
    const res = await app.request(
      `/api/drops/${dropId}/purchase`,
      json({ fan: `${randomUUID()}@sizes.test`, idempotencyKey: randomUUID(), variant }),
    );
    return { status: res.status, code: ((await res.json()) as Answer["body"]).error?.code };
  };
  const sizes = (drop: Answer["body"]["drop"]) =>
    drop.variants.map((v) => [v.name, v.quantity, v.priceCents, v.remaining]);
  const updates = async (dropId: string) =>
    (
      await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM events WHERE drop_id = $1::uuid AND type = 'drop.updated'",
        [dropId],
      )
    ).rows[0]!.n;

  it_(
    "before go-live: sizes are added, removed, renamed, re-priced, re-quantified and re-ordered",
    async () => {
      const drop = await createDrop(app, apiKey, {
        startsAt: isoFromNow(HOUR_MS),
        quantity: undefined,
        variants: [
          { name: "S", quantity: 3 },
          { name: "M", quantity: 4 },
          { name: "L", quantity: 5 },
        ],
      });
      const edited = await patch(drop.id, {
        variants: [
          { name: "XL", quantity: 2, priceCents: 3000 },
          { name: "Medium", quantity: 6 },
          { name: "S", quantity: 1 },
        ],
      });
      expect(edited.status).toBe(200);
      expect(sizes(edited.body.drop)).toEqual([
        ["XL", 2, 3000, 2],
        ["Medium", 6, null, 6],
        ["S", 1, null, 1],
      ]);
      expect(edited.body.drop).toMatchObject({ quantity: 9, remaining: 9 });
      expect(await updates(drop.id)).toBe(1);
    },
  );

  it_("before go-live: a one-size drop becomes a sized drop and back", async () => {
    const drop = await createDrop(app, apiKey, { startsAt: isoFromNow(HOUR_MS), quantity: 10 });
    const sized = await patch(drop.id, {
      variants: [
        { name: "S", quantity: 3 },
        { name: "M", quantity: 4 },
      ],
    });
    expect(sized.status).toBe(200);
    expect(sizes(sized.body.drop)).toEqual([
      ["S", 3, null, 3],
      ["M", 4, null, 4],
    ]);
    expect(sized.body.drop.quantity).toBe(7);

    const one = await patch(drop.id, { variants: null, quantity: 5 });
    expect(one.status).toBe(200);
    expect(one.body.drop).toMatchObject({ quantity: 5, remaining: 5 });
    expect(one.body.drop.variants.map((v) => v.name)).toEqual(["Standard"]);
    expect(await updates(drop.id)).toBe(2);
  });

  it_(
    "once live: rename and lower to what sold; below sold, removing a sold size, growth are 409",
    async () => {
      const drop = await createDrop(app, apiKey, {
        startsAt: isoFromNow(-MINUTE_MS),
        quantity: undefined,
        variants: [
          { name: "S", quantity: 5 },
          { name: "M", quantity: 5 },
          { name: "L", quantity: 3 },
        ],
      });
      const ids = Object.fromEntries((await read(drop.id)).variants.map((v) => [v.name, v.id]));
      expect((await buy(drop.id, "M")).status).toBe(201);
      expect((await buy(drop.id, "M")).status).toBe(201);
      const size = (name: string, quantity: number, extra: Record<string, unknown> = {}) => ({
        id: ids[name],
        name,
        quantity,
        ...extra,
      });

      const below = await patch(drop.id, { title: "Never written", variants: [size("S", 5), size("M", 1)] });
      expect(below.status).toBe(409);
      expect(below.body.error).toMatchObject({ code: "variant_below_sold", variant: "M", sold: 2 });
      const removed = await patch(drop.id, { variants: [size("S", 5), size("L", 3)] });
      expect(removed.body.error).toMatchObject({ code: "variant_has_orders", variant: "M" });
      const grown = await patch(drop.id, { variants: [size("S", 6), size("M", 5), size("L", 3)] });
      expect(grown.body.error?.code).toBe("drop_live");
      const added = await patch(drop.id, {
        variants: [size("S", 5), size("M", 5), size("L", 3), { name: "XL", quantity: 1 }],
      });
      expect(added.body.error?.code).toBe("drop_live");
      const repriced = await patch(drop.id, {
        variants: [size("S", 5, { priceCents: 1 }), size("M", 5), size("L", 3)],
      });
      expect(repriced.body.error?.code).toBe("drop_live");
      const stranger = await patch(drop.id, { variants: [{ ...size("S", 5), id: randomUUID() }] });
      expect(stranger.status).toBe(400);
      // Nothing of a refused edit was written, and it recorded no event.
      expect((await read(drop.id)).title).toBe("Test drop");
      expect(await updates(drop.id)).toBe(0);

      // Names swap, M is lowered to its 2 sold, L (no orders) goes: the total is the sum of what is left.
      const edited = await patch(drop.id, {
        variants: [size("S", 5, { name: "M" }), size("M", 2, { name: "S" })],
      });
      expect(edited.status).toBe(200);
      expect(sizes(edited.body.drop)).toEqual([
        ["M", 5, null, 5],
        ["S", 2, null, 0],
      ]);
      expect(edited.body.drop).toMatchObject({ quantity: 7, remaining: 5 });
      expect(await buy(drop.id, "S")).toEqual({ status: 409, code: "sold_out" });
      expect((await buy(drop.id, "M")).status).toBe(201);
      expect(await updates(drop.id)).toBe(1);
    },
  );

  it_("once live: a one-size drop cannot become sized, and collectShipping switches either way", async () => {
    const drop = await createDrop(app, apiKey, { startsAt: isoFromNow(-MINUTE_MS), quantity: 4 });
    const sized = await patch(drop.id, { variants: [{ name: "S", quantity: 4 }] });
    expect(sized.body.error?.code).toBe("drop_live");

    const on = await patch(drop.id, { collectShipping: true });
    expect(on.status).toBe(200);
    expect(on.body.drop.collectShipping).toBe(true);
    const off = await patch(drop.id, { collectShipping: false });
    expect(off.body.drop.collectShipping).toBeUndefined();
    expect(await updates(drop.id)).toBe(2);
  });

  it_("bad lists are 400 with a reason, never 500", async () => {
    const drop = await createDrop(app, apiKey, { startsAt: isoFromNow(HOUR_MS), quantity: 4 });
    for (const variants of [
      [],
      [
        { name: "S", quantity: 1 },
        { name: "s", quantity: 1 },
      ],
      [{ name: "S", quantity: 0 }],
      [{ name: "S", quantity: 1, id: "not-a-uuid" }],
      Array.from({ length: 21 }, (_, i) => ({ name: `S${i}`, quantity: 1 })),
    ]) {
      const answer = await patch(drop.id, { variants });
      expect(answer.status).toBe(400);
      expect(answer.body.error?.code).toBe("invalid");
    }
    expect((await patch(drop.id, { variants: [{ name: "S", quantity: 2 }], quantity: 3 })).status).toBe(400);
  });
});
