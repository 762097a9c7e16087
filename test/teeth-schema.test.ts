import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { type Database, sqlState, violatedConstraint } from "../src/db/database";
import type { Seller } from "../src/domain/types";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { hoodieDrop } from "./support/shop-fixtures";

const insertOrder = `INSERT INTO orders (drop_id, unit_no, fan, fan_slot, price_cents, attempts, idempotency_key)
  VALUES ($1::uuid, $2::int, $3::text, $4::int, 100, 1, $5::text)`;

/**
 * Issue 21 §1: the schema's own backstops, tested directly. Whatever the application does, the database
 * refuses a bucket going below 0 (or above its size), a unit sold twice, a key used twice and a fan slot
 * taken twice. Each write below goes around the application on purpose: it is what a broken guard would
 * send. Dropping the CHECK from sql/0003 or a UNIQUE from sql/0004 fails the matching test.
 */
describe.each(ALL_BACKENDS)("the schema's backstops on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let seller: Seller;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    app = createApp({ db, logError: () => undefined });
    ({ seller } = await app.shop.createSeller({
      email: "backstops@example.com",
      name: "B",
      password: "pw pw pw pw",
    }));
  });
  afterAll(async () => db?.close());

  const it_ = isAvailable(backend) ? it : it.skip;

  /** Runs `sql` and returns the database's refusal: its SQLSTATE and the constraint it names. */
  const refusal = async (sql: string, params: unknown[]) => {
    const error = await db.query(sql, params).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, `the database accepted: ${sql}`).toBeDefined();
    return { state: sqlState(error), constraint: violatedConstraint(error), message: String(error) };
  };

  const order = (dropId: string, o: { unit: number; fan: string; slot: number; key: string }) =>
    db.query(insertOrder, [dropId, o.unit, o.fan, o.slot, o.key]);

  it_("a decrement below 0 is refused (CHECK remaining >= 0) and leaves the bucket as it was", async () => {
    const drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 2, bucketCount: 1 }));
    const refused = await refusal(
      "UPDATE stock_buckets SET remaining = remaining - 3 WHERE drop_id = $1::uuid AND bucket = 0",
      [drop.id],
    );
    expect(refused.state).toBe("23514"); // check_violation
    // An unconditional decrement (the guard `remaining >= take` gone) of an empty bucket is refused too.
    await db.query("UPDATE stock_buckets SET remaining = 0 WHERE drop_id = $1::uuid", [drop.id]);
    expect(
      (
        await refusal("UPDATE stock_buckets SET remaining = remaining - 1 WHERE drop_id = $1::uuid", [
          drop.id,
        ])
      ).state,
    ).toBe("23514");
    const { rows } = await db.query<{ remaining: number }>(
      "SELECT remaining FROM stock_buckets WHERE drop_id = $1::uuid",
      [drop.id],
    );
    expect(rows).toEqual([{ remaining: 0 }]);
  });

  it_("a bucket cannot hold more than its size (CHECK remaining <= size)", async () => {
    const drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 2, bucketCount: 1 }));
    const refused = await refusal("UPDATE stock_buckets SET remaining = size + 1 WHERE drop_id = $1::uuid", [
      drop.id,
    ]);
    expect(refused.state).toBe("23514");
  });

  it_("a unit sold twice is refused (UNIQUE (drop_id, unit_no))", async () => {
    const drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 3 }));
    await order(drop.id, { unit: 1, fan: "a@fans.test", slot: 1, key: "key-a" });
    const refused = await refusal(insertOrder, [drop.id, 1, "b@fans.test", 1, "key-b"]);
    expect(refused.constraint).toBe("orders_unit_key");
    // The same unit number on another drop is another unit.
    const other = await app.shop.createDrop(seller, hoodieDrop({ quantity: 3 }));
    await order(other.id, { unit: 1, fan: "b@fans.test", slot: 1, key: "key-b" });
  });

  it_("a key used twice on a drop is refused (UNIQUE (drop_id, idempotency_key))", async () => {
    const drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 3 }));
    await order(drop.id, { unit: 1, fan: "a@fans.test", slot: 1, key: "the-key" });
    const refused = await refusal(insertOrder, [drop.id, 2, "b@fans.test", 1, "the-key"]);
    expect(refused.constraint).toBe("orders_idempotency_key");
  });

  it_("a fan slot taken twice is refused (UNIQUE (drop_id, fan, fan_slot))", async () => {
    const drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 3, maxPerFan: 2 }));
    await order(drop.id, { unit: 1, fan: "a@fans.test", slot: 1, key: "key-1" });
    const refused = await refusal(insertOrder, [drop.id, 2, "a@fans.test", 1, "key-2"]);
    expect(refused.constraint).toBe("orders_fan_slot_key");
    // The fan's next slot is free: the constraint is per slot, not per fan.
    await order(drop.id, { unit: 2, fan: "a@fans.test", slot: 2, key: "key-2" });
  });
});
