import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { type Database, sqlState, violatedConstraint } from "../src/db/database";
import { LimitReached, SoldOut } from "../src/domain/errors";
import { requestFingerprint } from "../src/domain/purchase";
import type { Seller } from "../src/domain/types";
import * as repo from "../src/repository";
import { claimSql } from "../src/repository/purchase/purchase-sql";
import { purchaseInSteps } from "../src/repository/purchase/purchase-steps";
import { TEST_RETRY_POLICY } from "./support/contention";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { commitHeld, heldTransaction, untilBlocked, watch } from "./support/interleave";
import { buy, hoodieDrop } from "./support/shop-fixtures";

/**
 * Issue 21 §1-2: the races the guards exist for, built on purpose instead of hoped for. One transaction
 * takes a row or a unique index entry and is held open; a second statement is sent and waits for it (the
 * server says so in pg_stat_activity); then the first commits. Every step is awaited, so each run is the
 * same interleaving, and a test fails every time its guard is missing.
 *
 * PostgreSQL only. PGlite is one connection, and a transaction holds it whole (src/db/pglite.ts): no two
 * statements ever overlap there, so none of these interleavings can happen on it, and no guard here is
 * what keeps it right. At REPEATABLE READ (our stand-in for DSQL's snapshot isolation) the second writer
 * of a row fails with 40001 whatever the guard says: there the row guards are re-checks that cannot
 * decide, and the tests assert the 40001 (the unique constraints decide on both levels).
 */
const SERVER_BACKENDS = ALL_BACKENDS.filter((b) => b.startsWith("postgres"));
const FORMS = ["cte", "transaction"] as const;

describe.each(SERVER_BACKENDS)("interleavings on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let seller: Seller;
  const readCommitted = backend === "postgres-read-committed";

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    app = createApp({ db, retryPolicy: TEST_RETRY_POLICY, logError: (e) => console.error(e) });
    ({ seller } = await app.shop.createSeller({
      email: "races@example.com",
      name: "R",
      password: "pw pw pw pw",
    }));
  });
  afterEach(commitHeld);
  afterAll(async () => db?.close());

  const it_ = isAvailable(backend) ? it : it.skip;

  const member = (dropId: string, fan: string, idempotencyKey: string) => ({
    fan,
    fanShown: fan,
    idempotencyKey,
    fingerprint: requestFingerprint(dropId, fan),
    attemptNumber: 1,
  });
  const remaining = async (dropId: string) =>
    (
      await db.query<{ n: number }>(
        "SELECT sum(remaining)::int AS n FROM stock_buckets WHERE drop_id = $1::uuid",
        [dropId],
      )
    ).rows[0]!.n;
  const orders = async (dropId: string) =>
    (
      await db.query<{ fan: string; unit_no: number }>(
        "SELECT fan, unit_no FROM orders WHERE drop_id = $1::uuid ORDER BY unit_no",
        [dropId],
      )
    ).rows;

  /**
   * The last unit, claimed by A (held open) and then by B, which waits for A's row lock. Under READ
   * COMMITTED B's UPDATE re-checks its WHERE on the row A committed: `remaining >= take` is what skips it.
   */
  const lastUnitTwice = async (claim: string) => {
    const drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 1, bucketCount: 1 }));
    const a = heldTransaction(db, (tx) => tx.query(claim, [drop.id, 0]));
    expect((await a.ready).rows).toHaveLength(1);
    const b = watch(db.query(claim, [drop.id, 0]));
    await untilBlocked(db, 1, [b]);
    await a.commit();
    return { drop, b: await b.outcome };
  };

  it_(
    "the conditional decrement: a second claim of the last unit, waiting on the first, takes nothing",
    async () => {
      const { drop, b } = await lastUnitTwice(claimSql("1", "$2::int", "0"));
      if (readCommitted) expect(b).toEqual({ done: true, value: { rows: [] } });
      else expect(sqlState(b.error)).toBe("40001");
      expect(await remaining(drop.id)).toBe(0);
    },
  );

  it_(
    "control: without `remaining >= take` the same interleaving decrements the emptied bucket",
    async () => {
      const guarded = claimSql("1", "$2::int", "0");
      const unguarded = guarded.replace("AND b.remaining >= plan.take", "");
      expect(unguarded).not.toBe(guarded);
      const { drop, b } = await lastUnitTwice(unguarded);
      // Only the schema's CHECK (remaining >= 0) stands between this and a unit sold twice.
      expect(sqlState(b.error)).toBe(readCommitted ? "23514" : "40001");
      expect(await remaining(drop.id)).toBe(0);
    },
  );

  /** A: `fan` buys from bucket 0 with `key`, in a transaction held open. */
  const firstBuyer = (dropId: string, fan = "a@fans.test", key = "ka") =>
    heldTransaction(db, (tx) =>
      purchaseInSteps(tx, { dropId, startBucket: 0, members: [member(dropId, fan, key)] }),
    );

  /** Sends B while A is open, waits until B is blocked behind A, commits A; then B's outcome. */
  const behind = async <T>(a: ReturnType<typeof firstBuyer>, b: () => Promise<T>) => {
    expect((await a.ready)?.[0]?.placed).toBeDefined();
    const second = watch(b());
    await untilBlocked(db, 1, [second]);
    await a.commit();
    return second.outcome;
  };

  it_.each(FORMS)(
    "the purchase (%s form) waiting on another's last unit sells nothing, then hears sold out",
    async (form) => {
      const drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 1, bucketCount: 1 }));
      const batch = { dropId: drop.id, startBucket: 0, members: [member(drop.id, "b@fans.test", "kb")] };
      const { value, error } = await behind(firstBuyer(drop.id), () => repo.purchaseBatch(db, form, batch));
      if (readCommitted) {
        // Stock in B's snapshot, none claimed: "try again", never "sold out" from this answer.
        expect(value?.[0]).toMatchObject({ placed: undefined, hadStock: true, existing: undefined });
      } else {
        expect(sqlState(error)).toBe("40001");
      }
      expect((await repo.purchaseBatch(db, form, batch))?.[0]).toMatchObject({
        placed: undefined,
        hadStock: false,
      });
      expect(await orders(drop.id)).toEqual([{ fan: "a@fans.test", unit_no: 1 }]);
      expect(await remaining(drop.id)).toBe(0);
    },
  );

  it_("through the app: a buyer waiting on the last unit's row is told sold out, not an error", async () => {
    const drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 1, bucketCount: 1 }));
    const { value } = await behind(firstBuyer(drop.id), () => buy(app, drop.id, "b@fans.test"));
    expect(value?.status).toBe(409);
    expect(value?.body.error?.code).toBe("sold_out");
    expect(await orders(drop.id)).toEqual([{ fan: "a@fans.test", unit_no: 1 }]);
  });

  it_(
    "supply equals demand: a buyer whose bucket emptied while it waited wins the unit left in another",
    async () => {
      const drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 2, bucketCount: 2 }));
      // A lone buyer starts at the lowest bucket with stock in its snapshot: the one A is emptying.
      const { value } = await behind(firstBuyer(drop.id), () => buy(app, drop.id, "b@fans.test"));
      expect(value?.status).toBe(201);
      expect(value?.body.order?.unitNo).toBe(2);
      expect(await remaining(drop.id)).toBe(0);
    },
  );

  /**
   * Two purchases on two buckets, B from bucket 1 while A (bucket 0) is open: they can meet only in a
   * unique index, which is what must refuse B. A fan's two keys both counted the fan's orders before
   * either committed, so both want fan slot 1; two fans with one key both found no order for it.
   */
  it_.each(FORMS)(
    "the fan slot (%s form): a fan's second order racing the first is refused by the unique slot",
    async (form) => {
      const drop = await app.shop.createDrop(
        seller,
        hoodieDrop({ quantity: 2, bucketCount: 2, maxPerFan: 1 }),
      );
      const members = [member(drop.id, "x@fans.test", "k2")];
      const { error } = await behind(firstBuyer(drop.id, "x@fans.test", "k1"), () =>
        repo.purchaseBatch(db, form, { dropId: drop.id, startBucket: 1, members }),
      );
      expect(violatedConstraint(error)).toBe("orders_fan_slot_key");
      expect((await orders(drop.id)).map((o) => o.fan)).toEqual(["x@fans.test"]);
      expect(await remaining(drop.id)).toBe(1);
    },
  );

  it_.each(FORMS)(
    "the key (%s form): another fan's purchase racing with the same key is refused by the unique key",
    async (form) => {
      const drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 2, bucketCount: 2 }));
      const members = [member(drop.id, "y@fans.test", "same")];
      const { error } = await behind(firstBuyer(drop.id, "x@fans.test", "same"), () =>
        repo.purchaseBatch(db, form, { dropId: drop.id, startBucket: 1, members }),
      );
      expect(violatedConstraint(error)).toBe("orders_idempotency_key");
      expect((await orders(drop.id)).map((o) => o.fan)).toEqual(["x@fans.test"]);
      // The app answers that race as a reuse: 422, nothing of the first fan's order.
      expect((await buy(app, drop.id, "y@fans.test", "same")).status).toBe(422);
    },
  );

  it_("the hold's fan slot: a fan's second hold racing the first is refused by the unique slot", async () => {
    const drop = await app.shop.createDrop(
      seller,
      hoodieDrop({ quantity: 2, bucketCount: 2, maxPerFan: 1, holdSeconds: 600 }),
    );
    // A: the fan's first hold, of bucket 1's unit, as claimHold writes it; held open.
    const a = heldTransaction(db, async (tx) => {
      const { rows } = await tx.query<{ unit: number }>(
        `UPDATE stock_buckets SET remaining = remaining - 1 WHERE drop_id = $1::uuid AND bucket = 1
         RETURNING first_unit + size - 1 - remaining AS unit`,
        [drop.id],
      );
      await tx.query(
        `INSERT INTO orders (drop_id, unit_no, fan, fan_slot, price_cents, attempts, idempotency_key,
                             request_fingerprint, status, expires_at, token_hash)
         VALUES ($1::uuid, $2::int, 'x@fans.test', 1, 100, 1, 'h1', 'f', 'held', now() + interval '10 minutes', 't')`,
        [drop.id, rows[0]!.unit],
      );
    });
    await a.ready;
    const b = watch(
      repo.claimHold(db, {
        dropId: drop.id,
        fan: "x@fans.test",
        fanShown: "x@fans.test",
        idempotencyKey: "h2",
        fingerprint: "f",
        tokenHash: "t2",
        attemptNumber: 1,
        startBucket: 0,
        startUnit: 1,
      }),
    );
    await untilBlocked(db, 1, [b]);
    await a.commit();
    expect(violatedConstraint((await b.outcome).error)).toBe("orders_fan_slot_key");
    expect((await orders(drop.id)).map((o) => o.fan)).toEqual(["x@fans.test"]);
  });

  /**
   * Through the checkout (not the repository): a fan's second hold meets the first in the unique fan slot.
   * B takes a returned unit (so it waits on nothing but the index entry A holds), is refused by
   * orders_fan_slot_key, and the checkout reads that as "look again", which finds the fan's limit reached.
   */
  it_(
    "the hold's fan slot through the checkout: the racing second hold is told the limit is reached",
    async () => {
      const drop = await app.shop.createDrop(
        seller,
        hoodieDrop({ quantity: 2, bucketCount: 1, maxPerFan: 1, holdSeconds: 600 }),
      );
      const returned = await app.shop.checkout.purchase(drop, { fan: "y@fans.test" });
      await app.shop.checkout.releaseOrder(returned.order);
      // A: the fan's first hold, of the bucket's unit, as claimHold writes it; held open.
      const a = heldTransaction(db, async (tx) => {
        const { rows } = await tx.query<{ unit: number }>(
          `UPDATE stock_buckets SET remaining = remaining - 1 WHERE drop_id = $1::uuid AND bucket = 0
         RETURNING first_unit + size - 1 - remaining AS unit`,
          [drop.id],
        );
        await tx.query(
          `INSERT INTO orders (drop_id, unit_no, fan, fan_slot, price_cents, attempts, idempotency_key,
                             request_fingerprint, status, expires_at, token_hash)
         VALUES ($1::uuid, $2::int, 'x@fans.test', 1, 100, 1, 'h1', 'f', 'held', now() + interval '10 minutes', 't')`,
          [drop.id, rows[0]!.unit],
        );
      });
      await a.ready;
      const b = watch(app.shop.checkout.purchase(drop, { fan: "x@fans.test", idempotencyKey: "h2" }));
      await untilBlocked(db, 1, [b]);
      await a.commit();
      const { error } = await b.outcome;
      expect(error).toBeInstanceOf(LimitReached);
      expect((await orders(drop.id)).map((o) => o.fan)).toEqual(["x@fans.test"]);
      // The returned unit B took and gave back is still there for someone else.
      expect((await app.shop.checkout.purchase(drop, { fan: "z@fans.test" })).order.status).toBe("held");
    },
  );

  /**
   * Two copies of one hold request (a double click): A's order is written and held open, B (same fan, same
   * key) found no order for the key and meets A's in the unique key. The checkout looks again and answers
   * B with A's hold, a replay, not an error. A took the fan's slot 2, so the key is the only index they share.
   */
  it_("two copies of one hold request racing: the second is answered with the first's hold", async () => {
    const drop = await app.shop.createDrop(
      seller,
      hoodieDrop({ quantity: 2, bucketCount: 1, maxPerFan: 2, holdSeconds: 600 }),
    );
    const returned = await app.shop.checkout.purchase(drop, { fan: "y@fans.test" });
    await app.shop.checkout.releaseOrder(returned.order);
    const a = heldTransaction(db, async (tx) => {
      const { rows } = await tx.query<{ unit: number }>(
        `UPDATE stock_buckets SET remaining = remaining - 1 WHERE drop_id = $1::uuid AND bucket = 0
         RETURNING first_unit + size - 1 - remaining AS unit`,
        [drop.id],
      );
      const placed = await tx.query<{ id: string }>(
        `INSERT INTO orders (drop_id, unit_no, fan, fan_slot, price_cents, attempts, idempotency_key,
                             request_fingerprint, status, expires_at, token_hash)
         VALUES ($1::uuid, $2::int, 'x@fans.test', 2, 100, 1, 'double', $3::text, 'held',
                 now() + interval '10 minutes', 't')
         RETURNING id`,
        [drop.id, rows[0]!.unit, requestFingerprint(drop.id, "x@fans.test")],
      );
      return placed.rows[0]!.id;
    });
    const first = await a.ready;
    const b = watch(app.shop.checkout.purchase(drop, { fan: "x@fans.test", idempotencyKey: "double" }));
    await untilBlocked(db, 1, [b]);
    await a.commit();
    const { value, error } = await b.outcome;
    expect(error).toBeUndefined();
    expect(value?.replay).toBe(true);
    expect(value?.order.id).toBe(first);
    expect((await orders(drop.id)).map((o) => o.fan)).toEqual(["x@fans.test"]);
  });

  /**
   * The last unit of a hold drop, taken by A (held open) while B's hold waits for the bucket row. At READ
   * COMMITTED B's decrement re-checks `remaining >= take` and takes nothing ("raced"): the checkout looks
   * again and finds it sold out. At REPEATABLE READ B's decrement fails with 40001, retried to the same end.
   */
  it_("a hold racing for the last unit: the one that waited is told sold out, not an error", async () => {
    const drop = await app.shop.createDrop(
      seller,
      hoodieDrop({ quantity: 1, bucketCount: 1, holdSeconds: 600 }),
    );
    const a = heldTransaction(db, (tx) =>
      tx.query("UPDATE stock_buckets SET remaining = remaining - 1 WHERE drop_id = $1::uuid AND bucket = 0", [
        drop.id,
      ]),
    );
    await a.ready;
    const b = watch(app.shop.checkout.purchase(drop, { fan: "late@fans.test" }));
    await untilBlocked(db, 1, [b]);
    await a.commit();
    const { error } = await b.outcome;
    expect(error).toBeInstanceOf(SoldOut);
    expect(await orders(drop.id)).toEqual([]);
    expect(await remaining(drop.id)).toBe(0);
  });

  /**
   * The sweep selects expired holds and deletes them in one statement; between the two it may wait for a
   * row. A payment that began before the expiry (its now() says unexpired) and commits while the sweep
   * waits must keep its order: the DELETE re-checks `status = 'held'` on the row it deletes. Forced here:
   * a lock (L) parks the payment, the expiry passes, the sweep queues behind the payment, L lets go.
   * Returns false when the payment's statement did not begin before the expiry (a machine stalled for
   * seconds): that run showed nothing, and the caller sets it up again.
   */
  const paymentAgainstSweep = async (): Promise<boolean> => {
    const drop = await app.shop.createDrop(seller, hoodieDrop({ quantity: 1, holdSeconds: 600 }));
    const { checkout } = await app.shop.purchase(drop.id, { fan: "payer@fans.test" });
    const { order, orderToken } = checkout!;
    const { rows } = await db.query<{ expires_at: Date }>(
      "UPDATE orders SET expires_at = clock_timestamp() + interval '2 seconds' WHERE id = $1::uuid RETURNING expires_at",
      [order.id],
    );
    const expiresAt = rows[0]!.expires_at;
    const lock = heldTransaction(db, (tx) =>
      tx.query("SELECT id FROM orders WHERE id = $1::uuid FOR UPDATE", [order.id]),
    );
    await lock.ready;
    const pay = watch(app.shop.checkout.pay(order.id, orderToken!, { card: "4242424242424242" }));
    await untilBlocked(db, 1, [pay]);
    const began = await db.query<{ early: boolean }>(
      `SELECT bool_and(xact_start < $1::timestamptz) AS early FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      [expiresAt],
    );
    if (!began.rows[0]!.early) {
      await lock.commit();
      await pay.outcome;
      return false;
    }
    while (
      !(await db.query<{ past: boolean }>("SELECT clock_timestamp() > $1::timestamptz AS past", [expiresAt]))
        .rows[0]!.past
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const sweep = watch(app.shop.checkout.sweep());
    await untilBlocked(db, 2, [sweep]);
    await lock.commit();

    const paid = await pay.outcome;
    expect(paid.error).toBeUndefined();
    expect(paid.value?.order.status).toBe("paid");
    expect(await sweep.outcome).toEqual({ done: true, value: 0 });
    const after = await db.query<{ status: string; payment_ref: string }>(
      "SELECT status, payment_ref FROM orders WHERE id = $1::uuid",
      [order.id],
    );
    expect(after.rows).toEqual([{ status: "paid", payment_ref: paid.value!.order.paymentRef }]);
    const ended = await db.query("SELECT id FROM order_history WHERE id = $1::uuid", [order.id]);
    expect(ended.rows).toEqual([]);
    expect(await db.query("SELECT unit_no FROM returned_units WHERE drop_id = $1::uuid", [drop.id])).toEqual({
      rows: [],
    });
    return true;
  };

  it_(
    "the expiry sweep: a payment begun before the expiry and committed while the sweep waits keeps its order",
    async () => {
      let shown = false;
      for (let run = 0; run < 3 && !shown; run++) shown = await paymentAgainstSweep();
      expect(shown, "the payment never began before the expiry in 3 runs").toBe(true);
    },
  );
});
