import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { TestPaymentProvider } from "../src/domain/checkout/payments";
import type { RetryPolicy } from "../src/domain/purchase/retry";
import { UNITS_PER_VARIANT } from "../src/domain/purchase/variants";
import type { Shop } from "../src/domain/shop";
import type { Drop, Seller } from "../src/domain/types";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";

/**
 * Issue 18 §3: refunds and cancels return units while buyers stampede and sweepers run, on two app
 * instances (two processes' sold-out caches) over one database. At every moment a unit is in exactly one
 * place: live orders (held or paid, or instant) + stock (bucket ranges + returned units) = N; at the end
 * every unit 1..N is sold exactly once among the live orders, and every returned unit was sold again at
 * most once (each closed order's unit is either in stock or in exactly one live order).
 */
const retryPolicy: RetryPolicy = { maxAttempts: 60, deadlineMs: 30_000, baseDelayMs: 2, maxDelayMs: 100 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const N = 8;
const FANS = 80;
const CLOSES = 6;
const RUN_DEADLINE_MS = 30_000;

/** The books in one statement (one snapshot): live orders, and stock wherever it is. */
async function books(db: Database, dropId: string) {
  const { rows } = await db.query<{ live: number; stock: number; closed: number }>(
    `SELECT (SELECT count(*)::int FROM orders WHERE drop_id = $1::uuid
               AND (status IS NULL OR status = 'paid' OR status = 'held')) AS live,
            (SELECT coalesce(sum(remaining), 0)::int FROM stock_buckets WHERE drop_id = $1::uuid)
              + (SELECT count(*)::int FROM returned_units WHERE drop_id = $1::uuid) AS stock,
            (SELECT count(*)::int FROM closed_orders WHERE drop_id = $1::uuid) AS closed`,
    [dropId],
  );
  return rows[0]!;
}

/**
 * Where each unit is: every unit 1..N (or `from`+1 .. `from`+`count`: a size's unit space) exactly once
 * across live orders, returned units and bucket ranges.
 */
async function unitPlaces(db: Database, dropId: string, from = 0, count = N) {
  const { rows } = await db.query<{ unit_no: number; places: number }>(
    `SELECT u AS unit_no,
            (SELECT count(*)::int FROM orders o WHERE o.drop_id = $1::uuid AND o.unit_no = u)
              + (SELECT count(*)::int FROM returned_units r WHERE r.drop_id = $1::uuid AND r.unit_no = u)
              + (SELECT count(*)::int FROM stock_buckets b WHERE b.drop_id = $1::uuid
                   AND u >= b.first_unit + b.size - b.remaining AND u < b.first_unit + b.size) AS places
     FROM generate_series($3::int + 1, $3::int + $2::int) AS u ORDER BY u`,
    [dropId, count, from],
  );
  return rows;
}

const codeOf = (error: unknown) => (error as { code?: string }).code;

describe.each(ALL_BACKENDS)("refunds and cancels under contention on %s", (backend) => {
  let db: Database;
  let shops: Shop[];
  let seller: Seller;
  let payments: TestPaymentProvider;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    payments = new TestPaymentProvider();
    const apps = [0, 1].map(() =>
      createApp({ db, retryPolicy, payments, logError: (e) => console.error(e) }),
    );
    shops = apps.map((app) => app.shop);
    ({ seller } = await shops[0]!.createSeller({
      email: `contention-${randomInt(1e9)}@orders.test`,
      name: "Seller",
      password: "a long password",
    }));
  });
  afterAll(async () => db?.close());
  const it_ = isAvailable(backend) ? it : it.skip;

  const newDrop = (title: string, holdSeconds: number) =>
    shops[0]!.createDrop(seller, {
      title,
      description: "",
      priceCents: 1500,
      currency: "USD",
      quantity: N,
      maxPerFan: 1,
      bucketCount: 4,
      holdSeconds,
    });

  /**
   * Runs buyers (on both instances), a closer (refunds or cancels up to CLOSES live orders, alternating
   * instances) and a watcher of the books, then buys until the drop is sold out again; returns what broke.
   */
  async function run(
    drop: Drop,
    close: (shop: Shop) => Promise<boolean>,
    afterWin?: (shop: Shop, won: { id: string; token?: string | undefined }) => Promise<void>,
    /** On a drop of sizes: the size fan i asks for on its `tries`-th attempt. */
    sizeFor?: (i: number, tries: number) => string,
  ) {
    const breaks: string[] = [];
    let closes = 0;
    let stop = false;
    const startedAt = Date.now();
    const watcher = (async () => {
      while (!stop) {
        const { live, stock } = await books(db, drop.id);
        if (live + stock !== N) breaks.push(`${live}+${stock}`);
        await sleep(25);
      }
    })();
    const closer = (async () => {
      for (let i = 0; closes < CLOSES && Date.now() - startedAt < RUN_DEADLINE_MS; i++) {
        if (await close(shops[i % 2]!)) closes++;
        await sleep(20 + randomInt(60));
      }
    })();
    const sweepers = [0, 1].map(async (s) => {
      while (!stop) {
        await shops[s]!.checkout.sweep();
        await sleep(50);
      }
    });
    const buyer = async (i: number) => {
      const shop = shops[i % 2]!;
      // Each fan keeps trying while units may still come back (the closer is not done), then gives up.
      for (let tries = 0; Date.now() - startedAt < RUN_DEADLINE_MS; tries++) {
        try {
          const { order, checkout } = await shop.purchase(drop.id, {
            fan: `fan-${i}@orders.test`,
            variant: sizeFor?.(i, tries),
          });
          await afterWin?.(shop, { id: order?.id ?? checkout!.order.id, token: checkout?.orderToken });
          return;
        } catch (error) {
          const code = codeOf(error);
          if (code === "limit_reached") return;
          if (code !== "sold_out" && code !== "busy") throw error;
          if (closes >= CLOSES && (await books(db, drop.id)).stock === 0) return;
          await sleep(30 + randomInt(70));
        }
      }
    };
    await Promise.all(Array.from({ length: FANS }, (_, i) => buyer(i)));
    await closer;
    stop = true;
    await Promise.all([watcher, ...sweepers]);
    return { breaks, closes };
  }

  /** A random live order of the drop in the given state, or undefined. */
  const pick = async (dropId: string, statusSql: string) => {
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM orders WHERE drop_id = $1::uuid AND ${statusSql}`,
      [dropId],
    );
    return rows.length === 0 ? undefined : rows[randomInt(rows.length)]!.id;
  };

  it_(
    `instant drop: ${FANS} buyers, ${CLOSES} cancels at once; every cancelled unit sold again exactly once`,
    async () => {
      const drop = await newDrop("Instant tee", 0);
      const { breaks, closes } = await run(drop, async (shop) => {
        const id = await pick(drop.id, "status IS NULL");
        if (!id) return false;
        try {
          await shop.orderManagement.cancel(seller, id);
          return true;
        } catch (error) {
          if (codeOf(error) === "order_state") return false; // the other instance cancelled it first
          throw error;
        }
      });
      expect(breaks).toEqual([]);
      expect(closes).toBe(CLOSES);
      const end = await books(db, drop.id);
      // Buyers outnumber units: every returned unit was sold again, through both instances' caches.
      expect(end).toEqual({ live: N, stock: 0, closed: CLOSES });
      expect((await unitPlaces(db, drop.id)).filter((u) => u.places !== 1)).toEqual([]);
      const perFan = await db.query(
        "SELECT fan FROM orders WHERE drop_id = $1::uuid GROUP BY fan HAVING count(*) > 1",
        [drop.id],
      );
      expect(perFan.rows).toEqual([]);
    },
    90_000,
  );

  it_(
    `instant drop of two sizes: ${FANS} buyers of both, ${CLOSES} cancels at once; each cancelled unit sold again once, in its size`,
    async () => {
      const drop = await shops[0]!.createDrop(seller, {
        title: "Sized tee",
        description: "",
        priceCents: 1500,
        currency: "USD",
        maxPerFan: 1,
        variants: [
          { name: "S", quantity: N / 2 },
          { name: "M", quantity: N / 2 },
        ],
      });
      const { breaks, closes } = await run(
        drop,
        async (shop) => {
          const id = await pick(drop.id, "status IS NULL");
          if (!id) return false;
          try {
            await shop.orderManagement.cancel(seller, id);
            return true;
          } catch (error) {
            if (codeOf(error) === "order_state") return false;
            throw error;
          }
        },
        undefined,
        // Fans start on either size and turn to the other when told it is sold out.
        (i, tries) => ((i + tries) % 2 === 0 ? "S" : "M"),
      );
      expect(breaks).toEqual([]);
      expect(closes).toBe(CLOSES);
      expect(await books(db, drop.id)).toEqual({ live: N, stock: 0, closed: CLOSES });
      // Each size's units 1..4 (its own unit space) are each in exactly one place, and sold once.
      for (const [position, size] of [
        [0, "S"],
        [1, "M"],
      ] as const) {
        const places = await unitPlaces(db, drop.id, position * UNITS_PER_VARIANT, N / 2);
        expect(
          places.filter((u) => u.places !== 1),
          `size ${size}`,
        ).toEqual([]);
      }
      const outside = await db.query(
        `SELECT unit_no FROM orders WHERE drop_id = $1::uuid
         AND NOT ((unit_no BETWEEN 1 AND $2::int) OR (unit_no BETWEEN $3::int + 1 AND $3::int + $2::int))`,
        [drop.id, N / 2, UNITS_PER_VARIANT],
      );
      expect(outside.rows).toEqual([]);
      const perFan = await db.query(
        "SELECT fan FROM orders WHERE drop_id = $1::uuid GROUP BY fan HAVING count(*) > 1",
        [drop.id],
      );
      expect(perFan.rows).toEqual([]);
    },
    90_000,
  );

  it_(
    `hold drop: ${FANS} buyers paying, ${CLOSES} refunds and two sweepers at once; money and units add up`,
    async () => {
      const drop = await newDrop("Held tee", 1);
      const { breaks, closes } = await run(
        drop,
        async (shop) => {
          const id = await pick(drop.id, "status = 'paid'");
          if (!id) return false;
          try {
            await shop.orderManagement.refund(seller, id);
            return true;
          } catch (error) {
            if (codeOf(error) === "order_state") return false;
            throw error;
          }
        },
        async (shop, won) => {
          // Two in three pay at once; the others let the hold run out (the sweepers return the unit).
          if (randomInt(3) === 0) return;
          try {
            await shop.checkout.pay(won.id, won.token!, { card: "4242424242424242" });
          } catch (error) {
            if (codeOf(error) !== "hold_expired") throw error;
          }
        },
      );
      expect(breaks).toEqual([]);
      expect(closes).toBe(CLOSES);
      expect((await unitPlaces(db, drop.id)).filter((u) => u.places !== 1)).toEqual([]);
      // Every payment kept belongs to a live paid order; every refunded order's payment was given back.
      const paid = await db.query<{ payment_ref: string }>(
        "SELECT payment_ref FROM orders WHERE drop_id = $1::uuid AND status = 'paid'",
        [drop.id],
      );
      const refunded = await db.query<{ id: string; payment_ref: string }>(
        "SELECT id, payment_ref FROM closed_orders WHERE drop_id = $1::uuid AND status = 'refunded'",
        [drop.id],
      );
      expect(refunded.rows).toHaveLength(CLOSES);
      const kept = new Set(payments.captured().map((p) => p.id));
      for (const { payment_ref } of paid.rows) expect(kept.has(payment_ref)).toBe(true);
      const givenBack = new Set(payments.refunded().map((p) => p.id));
      for (const { payment_ref } of refunded.rows) expect(givenBack.has(payment_ref)).toBe(true);
      const open = await db.query(
        "SELECT id FROM payment_attempts WHERE drop_id = $1::uuid AND state IN ('started', 'succeeded')",
        [drop.id],
      );
      expect(open.rows).toEqual([]);
    },
    90_000,
  );

  it_("control: a unit returned without its order leaving is seen by the same books", async () => {
    const drop = await newDrop("Control tee", 0);
    const { order } = await shops[0]!.purchase(drop.id, { fan: "control@orders.test" });
    // The guard removed: the unit goes to returned_units, but the order stays (no DELETE, no closed row).
    await db.query("INSERT INTO returned_units (drop_id, unit_no) VALUES ($1::uuid, $2::int)", [
      drop.id,
      order.unitNo,
    ]);
    const { live, stock } = await books(db, drop.id);
    expect(live + stock).toBe(N + 1);
    expect((await unitPlaces(db, drop.id)).find((u) => u.unit_no === order.unitNo)?.places).toBe(2);
  });
});
