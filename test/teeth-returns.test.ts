import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { UNITS_PER_VARIANT } from "../src/domain/purchase";
import type { Seller } from "../src/domain/types";
import * as repo from "../src/repository";
import type { BatchMember, PurchaseBatch, PurchaseForm } from "../src/repository/purchase/purchase";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { hoodieDrop } from "./support/shop-fixtures";

/**
 * Issue 21 §3, round four: what the purchase statement's mutation group (purchase.ts, purchase-sql.ts,
 * purchase-steps.ts) decides and no suite of its mutation set looked at: returned units of an instant drop
 * (a refund or cancel put them back) sold again, lowest first and within their variant; a variant's own
 * buckets and price; what a replay returns (the fan as typed, the request's fingerprint); a drop that does
 * not exist; a drop not live yet. The purchase is called directly, in both forms, on every backend, so each
 * answer is the database's and nothing in between hides it.
 */
const FORMS: PurchaseForm[] = ["cte", "transaction"];
const SUITES = ALL_BACKENDS.flatMap((backend) => FORMS.map((form) => [backend, form] as const));

describe.each(SUITES)("the purchase statement's decisions on %s, %s form", (backend, form) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let seller: Seller;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    app = createApp({ db, logError: () => undefined });
    ({ seller } = await app.shop.createSeller({
      email: `returns-${randomUUID()}@example.com`,
      name: "R",
      password: "pw pw pw pw",
    }));
  });
  afterAll(async () => db?.close());
  const it_ = isAvailable(backend) ? it : it.skip;

  const member = (fan: string, overrides: Partial<BatchMember> = {}): BatchMember => ({
    fan,
    fanShown: fan,
    idempotencyKey: randomUUID(),
    fingerprint: `fp-${fan}`,
    attemptNumber: 1,
    ...overrides,
  });
  const purchase = (dropId: string, members: BatchMember[], extra: Partial<PurchaseBatch> = {}) =>
    repo.purchaseBatch(db, form, { dropId, members, startBucket: 0, ...extra });
  /** Sells every unit of `variant` (one buyer per unit), then takes `units` back as a seller's refund does. */
  const sellOutAndReturn = async (dropId: string, quantity: number, units: number[], variant = 0) => {
    const buyers = Array.from({ length: quantity }, (_, i) => member(`buyer-${variant}-${i}@example.com`));
    const sold = await purchase(dropId, buyers, { variant });
    expect(sold?.every((o) => o.placed !== undefined)).toBe(true);
    // One unit at a time, in the order given: the returned units' physical order is theirs, not unit order.
    for (const unit of units) {
      await db.query("DELETE FROM orders WHERE drop_id = $1::uuid AND unit_no = $2::int", [dropId, unit]);
      await db.query("INSERT INTO returned_units (drop_id, unit_no) VALUES ($1::uuid, $2::int)", [
        dropId,
        unit,
      ]);
    }
    return buyers;
  };
  const remaining = async (dropId: string) =>
    (
      await db.query<{ n: number }>(
        "SELECT coalesce(sum(remaining), 0)::int AS n FROM stock_buckets WHERE drop_id = $1::uuid",
        [dropId],
      )
    ).rows[0]?.n;
  const storedOrder = async (dropId: string, key: string) =>
    (
      await db.query<{
        unit_no: number;
        price_cents: number;
        fan_shown: string;
        request_fingerprint: string;
      }>(
        `SELECT unit_no, price_cents, fan_shown, request_fingerprint FROM orders
         WHERE drop_id = $1::uuid AND idempotency_key = $2::text`,
        [dropId, key],
      )
    ).rows[0];
  const returnedLeft = async (dropId: string) =>
    (
      await db.query<{ unit_no: number }>(
        "SELECT unit_no FROM returned_units WHERE drop_id = $1::uuid ORDER BY unit_no",
        [dropId],
      )
    ).rows.map((row) => row.unit_no);

  it_("a drop that does not exist is answered undefined, not an empty list of outcomes", async () => {
    expect(await purchase(randomUUID(), [member("nobody@example.com")])).toBeUndefined();
  });

  it_(
    "with every bucket empty, a returned unit is sold again; a member it cannot serve tries again",
    async () => {
      const drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 2, bucketCount: 1 }));
      await sellOutAndReturn(drop.id, 2, [2]);
      const [first, second] = [member("c@example.com"), member("d@example.com")];
      const outcomes = await purchase(drop.id, [first, second]);
      expect(outcomes?.[0]?.placed?.unitNo).toBe(2);
      expect(outcomes?.[0]?.hadStock).toBe(true);
      // Not "sold out": another batch's member may be retrying for a returned unit this one missed.
      expect(outcomes?.[1]?.placed).toBeUndefined();
      expect(outcomes?.[1]?.hadStock).toBe(true);
      expect((await storedOrder(drop.id, first.idempotencyKey))?.unit_no).toBe(2);
      expect(await returnedLeft(drop.id)).toEqual([]);
    },
  );

  it_("returned units go lowest first, to the batch's members in order", async () => {
    const drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 3, bucketCount: 1 }));
    await sellOutAndReturn(drop.id, 3, [3, 1]);
    const outcomes = await purchase(drop.id, [member("x@example.com"), member("y@example.com")]);
    expect(outcomes?.map((o) => o.placed?.unitNo)).toEqual([1, 3]);
  });

  it_(
    "sold out with nothing returned: no member is served and every one hears there is no stock",
    async () => {
      const drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 1, bucketCount: 1 }));
      await sellOutAndReturn(drop.id, 1, []);
      const outcomes = await purchase(drop.id, [member("late@example.com"), member("later@example.com")]);
      expect(outcomes?.map((o) => [o.placed, o.hadStock])).toEqual([
        [undefined, false],
        [undefined, false],
      ]);
    },
  );

  it_(
    "a batch of a replay and a new buyer claims one unit, from the buckets or from those returned",
    async () => {
      const drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 3, bucketCount: 1 }));
      const ann = member("ann@example.com");
      await purchase(drop.id, [ann]);
      const both = await purchase(drop.id, [ann, member("bob@example.com")]);
      expect(both?.map((o) => [o.existing !== undefined, o.placed !== undefined])).toEqual([
        [true, false],
        [false, true],
      ]);
      // The replay is no buyer: one unit left the buckets for Bob, none for Ann's key a second time.
      expect(await remaining(drop.id)).toBe(1);
      const soldOut = await app.shop.createDrop(seller, hoodieDrop({ quantity: 2, bucketCount: 1 }));
      const [kept] = await sellOutAndReturn(soldOut.id, 2, [2]);
      const again = await purchase(soldOut.id, [kept!, member("cat@example.com")]);
      expect(again?.map((o) => [o.existing?.order.unitNo, o.placed?.unitNo])).toEqual([
        [1, undefined],
        [undefined, 2],
      ]);
    },
  );

  const sizes = () =>
    hoodieDrop({
      quantity: 4,
      priceCents: 4900,
      variants: [
        { name: "S", quantity: 2 },
        { name: "L", quantity: 2, priceCents: 999 },
      ],
    });

  it_("a variant's buyer gets a unit of that variant, at its own price, as stored", async () => {
    const drop = await app.shop.createDrop(seller, sizes());
    const large = member("large@example.com");
    const [bought] = (await purchase(drop.id, [large], { variant: 1, variantPriceCents: 999 })) ?? [];
    expect(bought?.placed).toMatchObject({ unitNo: 1, variant: 1, priceCents: 999 });
    expect(await storedOrder(drop.id, large.idempotencyKey)).toMatchObject({
      unit_no: UNITS_PER_VARIANT + 1,
      price_cents: 999,
    });
    const small = member("small@example.com");
    const [other] = (await purchase(drop.id, [small], { variant: 0, variantPriceCents: null })) ?? [];
    expect(other?.placed).toMatchObject({ unitNo: 1, variant: 0, priceCents: 4900 });
    expect(await storedOrder(drop.id, small.idempotencyKey)).toMatchObject({ unit_no: 1, price_cents: 4900 });
  });

  it_("a variant's returned unit is sold again in that variant only, at its price", async () => {
    const drop = await app.shop.createDrop(seller, sizes());
    await sellOutAndReturn(drop.id, 2, [], 0);
    await sellOutAndReturn(drop.id, 2, [UNITS_PER_VARIANT + 2], 1);
    const [small] = (await purchase(drop.id, [member("s@example.com")], { variant: 0 })) ?? [];
    expect([small?.placed, small?.hadStock]).toEqual([undefined, false]);
    const large = member("l@example.com");
    const [bought] = (await purchase(drop.id, [large], { variant: 1, variantPriceCents: 999 })) ?? [];
    expect(bought?.placed).toMatchObject({ unitNo: 2, variant: 1, priceCents: 999 });
    expect(await storedOrder(drop.id, large.idempotencyKey)).toMatchObject({
      unit_no: UNITS_PER_VARIANT + 2,
      price_cents: 999,
    });
  });

  it_(
    "a replay returns the order as placed: the fan as typed, the request's fingerprint, its price",
    async () => {
      const drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 3, maxPerFan: 1 }));
      const ann = member("ann@example.com", {
        fanShown: "Ann@Example.com",
        fingerprint: "fp-ann",
        attemptNumber: 2,
      });
      const [first] = (await purchase(drop.id, [ann])) ?? [];
      expect(first?.placed).toMatchObject({ fan: "Ann@Example.com", attempts: 2, priceCents: 4900 });
      expect(first?.existing).toBeUndefined();
      expect(await storedOrder(drop.id, ann.idempotencyKey)).toMatchObject({
        fan_shown: "Ann@Example.com",
        request_fingerprint: "fp-ann",
      });
      const [again] = (await purchase(drop.id, [{ ...ann, attemptNumber: 3 }])) ?? [];
      expect(again?.placed).toBeUndefined();
      expect(again?.existing?.fingerprint).toBe("fp-ann");
      expect(again?.existing?.order).toMatchObject({
        id: first?.placed?.id,
        unitNo: first?.placed?.unitNo,
        fan: "Ann@Example.com",
        attempts: 2,
        priceCents: 4900,
      });
      const found = await repo.findOrderByKey(db, drop.id, ann.idempotencyKey);
      expect(found).toMatchObject({ fingerprint: "fp-ann", order: { fan: "Ann@Example.com" } });
    },
  );

  it_("a drop not live yet says when it starts; a live one says nothing of its start", async () => {
    const startsAt = new Date(Date.now() + 3_600_000);
    const upcoming = await app.shop.createDrop(seller, hoodieDrop({ startsAt }));
    const [early] = (await purchase(upcoming.id, [member("early@example.com")])) ?? [];
    expect([early?.isLive, early?.placed, early?.startsAt?.getTime()]).toEqual([
      false,
      undefined,
      startsAt.getTime(),
    ]);
    expect(await remaining(upcoming.id)).toBe(5);
    const live = await app.shop.createDrop(seller, hoodieDrop());
    const [now] = (await purchase(live.id, [member("now@example.com")])) ?? [];
    expect([now?.isLive, now?.startsAt]).toEqual([true, undefined]);
  });

  it_("a page of order keys, of one variant, after a key", async () => {
    const drop = await app.shop.createDrop(seller, sizes());
    const keys = ["k1", "k2", "k3", "k4"];
    await purchase(drop.id, [member("a@example.com", { idempotencyKey: "k1" })], { variant: 0 });
    await purchase(drop.id, [member("b@example.com", { idempotencyKey: "k2" })], { variant: 1 });
    await purchase(drop.id, [member("c@example.com", { idempotencyKey: "k3" })], { variant: 0 });
    await purchase(drop.id, [member("d@example.com", { idempotencyKey: "k4" })], { variant: 1 });
    expect(await repo.listOrderKeys(db, drop.id, 10)).toEqual(keys);
    expect(await repo.listOrderKeys(db, drop.id, 10, "k2")).toEqual(["k3", "k4"]);
    expect(await repo.listOrderKeys(db, drop.id, 10, undefined, 1)).toEqual(["k2", "k4"]);
    expect(await repo.listOrderKeys(db, drop.id, 10, "k1", 0)).toEqual(["k3"]);
  });
});
