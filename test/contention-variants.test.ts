import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { UNITS_PER_VARIANT } from "../src/domain/purchase";
import { isoFromNow, MINUTE_MS } from "./support/clock";
import { openShop, PURCHASE_SUITES, race, tally } from "./support/contention";
import { isAvailable } from "./support/databases";
import { audit, createDrop, json } from "./support/shop-fixtures";

/**
 * Variants (issue 18 §1) under a stampede, on every backend and in both forms of the purchase statement:
 * each variant sells exactly its own quantity, units 1..quantity within it once each, the per-fan limit
 * counts across the drop, and the answers name the variant.
 */

const SIZES = [
  { name: "XS", quantity: 7 },
  { name: "S", quantity: 30 },
  { name: "M", quantity: 45, priceCents: 3100 },
  { name: "L", quantity: 12 },
  { name: "XL", quantity: 1 },
];

interface Answer {
  status: number;
  body: {
    order?: { unitNo: number; priceCents: number; variant?: { id: string; name: string } };
    error?: { code: string; variant?: string; variants?: string[] };
  };
}

type App = ReturnType<typeof createApp>;

/** A live drop of `SIZES` (the fixture's default quantity left out: the drop's is their sum). */
const sizedDrop = (app: App, apiKey: string, overrides: Record<string, unknown> = {}) =>
  createDrop(app, apiKey, {
    startsAt: isoFromNow(-MINUTE_MS),
    quantity: undefined,
    variants: SIZES,
    ...overrides,
  });

async function buyVariant(app: App, dropId: string, fan: string, variant?: string): Promise<Answer> {
  const res = await app.request(
    `/api/drops/${dropId}/purchase`,
    json({ fan, idempotencyKey: randomUUID(), ...(variant === undefined ? {} : { variant }) }),
  );
  return { status: res.status, body: (await res.json()) as Answer["body"] };
}

describe.each(PURCHASE_SUITES)("variants under contention on %s, %s form", (backend, form) => {
  let db: Database;
  let app: App;
  let apiKey: string;

  beforeAll(async () => {
    if (isAvailable(backend)) ({ db, app, apiKey } = await openShop(backend, { form }));
  });
  afterAll(async () => db?.close());

  const it_ = isAvailable(backend) ? it : it.skip;

  it_(
    "1,500 buyers over 5 sizes: each size sells exactly its quantity, units 1..quantity once each",
    async () => {
      const drop = await sizedDrop(app, apiKey);
      expect(drop.quantity).toBe(95);
      const answers = await race(1500, (i) =>
        buyVariant(app, drop.id, `fan-${i}@variants.test`, SIZES[i % SIZES.length]!.name),
      );
      expect(tally(answers)).toEqual({ "201 order": 95, "409 sold_out": 1405 });
      for (const size of SIZES) {
        const won = answers.filter((a) => a.body.order?.variant?.name === size.name);
        const units = won.map((a) => a.body.order!.unitNo).sort((a, b) => a - b);
        expect(units, size.name).toEqual(Array.from({ length: size.quantity }, (_, i) => i + 1));
        expect(new Set(won.map((a) => a.body.order!.priceCents))).toEqual(new Set([size.priceCents ?? 2500]));
        const soldOut = answers.filter((a) => a.body.error?.variant === size.name);
        expect(soldOut.length, size.name).toBe(300 - size.quantity);
      }
      // In the database: every unit in its size's own range, none twice.
      const { rows } = await db.query<{ position: number; unit: number; n: number }>(
        `SELECT (unit_no - 1) / ${UNITS_PER_VARIANT} AS position, (unit_no - 1) % ${UNITS_PER_VARIANT} + 1 AS unit,
                count(*)::int AS n
         FROM orders WHERE drop_id = $1::uuid GROUP BY unit_no ORDER BY unit_no`,
        [drop.id],
      );
      expect(rows.filter((r) => r.n > 1)).toEqual([]);
      for (const [position, size] of SIZES.entries()) {
        const units = rows.filter((r) => Number(r.position) === position).map((r) => r.unit);
        expect(units).toEqual(Array.from({ length: size.quantity }, (_, i) => i + 1));
      }
      const books = (await audit(app, drop.id, apiKey)).body as unknown as Record<string, unknown>;
      expect(books).toMatchObject({ quantity: 95, sold: 95, remaining: 0, oversold: 0, duplicateUnits: 0 });
      expect(books.unitsOutOfRange).toBe(0);
      expect(books.variants).toEqual(
        SIZES.map((s) => ({
          name: s.name,
          quantity: s.quantity,
          sold: s.quantity,
          remaining: 0,
          oversold: 0,
        })),
      );
      const read = await app.request(`/api/drops/${drop.id}`);
      const after = ((await read.json()) as { drop: { status: string; variants: { status: string }[] } })
        .drop;
      expect(after.status).toBe("sold_out");
      expect(after.variants.map((v) => v.status)).toEqual(SIZES.map(() => "sold_out"));
    },
  );

  it_("one size selling out leaves the others selling, and says which size is gone", async () => {
    const drop = await sizedDrop(app, apiKey);
    const xl = await race(40, (i) => buyVariant(app, drop.id, `xl-${i}@variants.test`, "xl"));
    expect(tally(xl)).toEqual({ "201 order": 1, "409 sold_out": 39 });
    expect(xl.find((a) => a.status === 409)!.body.error).toMatchObject({ code: "sold_out", variant: "XL" });
    const m = await buyVariant(app, drop.id, "after-xl@variants.test", "M");
    expect(m.status).toBe(201);
    expect(m.body.order).toMatchObject({ unitNo: 1, variant: { name: "M" }, priceCents: 3100 });
  });

  it_("the per-fan limit counts across the drop's sizes", async () => {
    const drop = await sizedDrop(app, apiKey, { maxPerFan: 2 });
    const answers = await race(60, (i) =>
      buyVariant(app, drop.id, "greedy@variants.test", SIZES[i % 4]!.name),
    );
    expect(tally(answers)).toEqual({ "201 order": 2, "409 limit_reached": 58 });
    expect((await audit(app, drop.id, apiKey)).body.sold).toBe(2);
  });
});

describe("variants: what a purchase must name, on PGlite", () => {
  let db: Database;
  let app: App;
  let apiKey: string;

  beforeAll(async () => {
    ({ db, app, apiKey } = await openShop("pglite", { form: "cte" }));
  });
  afterAll(async () => db?.close());

  it("a drop of several sizes refuses a purchase that names none (422 variant_required) or an unknown one", async () => {
    const drop = await sizedDrop(app, apiKey);
    const none = await buyVariant(app, drop.id, "a@variants.test");
    expect(none.status).toBe(422);
    expect(none.body.error).toMatchObject({ code: "variant_required", variants: SIZES.map((s) => s.name) });
    const unknown = await buyVariant(app, drop.id, "a@variants.test", "XXL");
    expect(unknown.status).toBe(422);
    expect(unknown.body.error?.code).toBe("unknown_variant");
    expect((await audit(app, drop.id, apiKey)).body.sold).toBe(0);
  });

  it("a variant is named by its id as well as its name; GET answers each variant's stock", async () => {
    const drop = await sizedDrop(app, apiKey);
    const read = async () =>
      (
        (await (await app.request(`/api/drops/${drop.id}`)).json()) as {
          drop: {
            variants: { id: string; name: string; quantity: number; remaining: number; status: string }[];
          };
        }
      ).drop.variants;
    const before = await read();
    expect(before.map((v) => [v.name, v.quantity, v.remaining, v.status])).toEqual(
      SIZES.map((s) => [s.name, s.quantity, s.quantity, "live"]),
    );
    const byId = await buyVariant(app, drop.id, "b@variants.test", before[1]!.id);
    expect(byId.body.order?.variant).toEqual({ id: before[1]!.id, name: "S" });
    expect((await read())[1]!.remaining).toBe(29);
  });

  it("a drop made without variants answers as before, with one variant", async () => {
    const drop = await createDrop(app, apiKey, { startsAt: isoFromNow(-MINUTE_MS), quantity: 3 });
    const bought = await buyVariant(app, drop.id, "c@variants.test");
    expect(bought.status).toBe(201);
    expect(bought.body.order).not.toHaveProperty("variant");
    const read = (await (await app.request(`/api/drops/${drop.id}`)).json()) as {
      drop: { variants: unknown[] };
    };
    expect(read.drop.variants).toEqual([
      { id: drop.id, name: "Standard", quantity: 3, priceCents: null, remaining: 2, status: "live" },
    ]);
  });

  it("refuses variant lists that cannot be sold exactly", async () => {
    const post = (body: unknown) =>
      app.request(
        "/api/drops",
        json(
          { title: "Tee", priceCents: 2500, startsAt: isoFromNow(-MINUTE_MS), ...(body as object) },
          { authorization: `Bearer ${apiKey}` },
        ),
      );
    const twice = await post({
      variants: [
        { name: "M", quantity: 1 },
        { name: "m", quantity: 2 },
      ],
    });
    expect(twice.status).toBe(400);
    const tooMany = await post({
      variants: Array.from({ length: 21 }, (_, i) => ({ name: `V${i}`, quantity: 1 })),
    });
    expect(tooMany.status).toBe(400);
    const wrongSum = await post({ quantity: 5, variants: [{ name: "M", quantity: 1 }] });
    expect(wrongSum.status).toBe(400);
    expect(await wrongSum.text()).toContain("sum of the variants");
    const neither = await post({});
    expect(neither.status).toBe(400);
  });

  it("the database refuses a write that would oversell a variant or sell its unit twice", async () => {
    const drop = await sizedDrop(app, apiKey);
    // XL (position 4) has one bucket of one unit: decrementing it twice breaks CHECK (remaining >= 0).
    const xlBucket = `SELECT bucket FROM stock_buckets WHERE drop_id = $1::uuid AND first_unit > 4 * ${UNITS_PER_VARIANT}`;
    await db.query(
      `UPDATE stock_buckets SET remaining = remaining - 1 WHERE drop_id = $1::uuid AND bucket = (${xlBucket})`,
      [drop.id],
    );
    await expect(
      db.query(
        `UPDATE stock_buckets SET remaining = remaining - 1 WHERE drop_id = $1::uuid AND bucket = (${xlBucket})`,
        [drop.id],
      ),
    ).rejects.toThrow(/check constraint|violates/i);
    // Unit 1 of M (position 2) sold twice: the orders' unique (drop, unit) is the unique (drop, variant, unit).
    const order = (key: string, fan: string) =>
      db.query(
        `INSERT INTO orders (drop_id, unit_no, fan, fan_slot, price_cents, attempts, idempotency_key)
         VALUES ($1::uuid, $2::int, $3::text, 1, 100, 1, $4::text)`,
        [drop.id, 2 * UNITS_PER_VARIANT + 1, fan, key],
      );
    await order("k1", "one@variants.test");
    await expect(order("k2", "two@variants.test")).rejects.toThrow(/orders_unit_key|unique/i);
    // Unit 1 of S is another unit: it may be sold alongside M's unit 1.
    await db.query(
      `INSERT INTO orders (drop_id, unit_no, fan, fan_slot, price_cents, attempts, idempotency_key)
       VALUES ($1::uuid, $2::int, 'three@variants.test', 1, 100, 1, 'k3')`,
      [drop.id, 1 * UNITS_PER_VARIANT + 1],
    );
  });
});
