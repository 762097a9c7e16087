import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { openShop, PURCHASE_SUITES, race, tally } from "./support/contention";
import { isAvailable } from "./support/databases";
import { signal } from "./support/interleave";
import { audit, buy, createDrop } from "./support/shop-fixtures";

/**
 * The stampede, in-process: thousands of purchases fired at once through the HTTP stack, on every backend
 * and in both forms of the purchase statement (forced here; in production the backend is probed once).
 */
describe.each(PURCHASE_SUITES)("contention on %s, %s form", (backend, form) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;

  beforeAll(async () => {
    if (isAvailable(backend)) ({ db, app, apiKey } = await openShop(backend, { form }));
  });
  afterAll(async () => db?.close());

  const it_ = isAvailable(backend) ? it : it.skip;
  /**
   * The control does not depend on the purchase's form, and single-bucket and not-yet-live drops are
   * covered in both forms by contention-batch.test.ts: once per backend is enough here (CI time).
   */
  const itOncePerBackend = isAvailable(backend) && form === "cte" ? it : it.skip;

  it_("the form forced is the form in use", async () => {
    expect(await app.shop.purchaseForm()).toBe(form);
  });

  it_(
    "2,000 concurrent buyers for 100 units: exactly 100 orders, units 1..100 once each, 1,900 sold out",
    async () => {
      const drop = await createDrop(app, apiKey, { quantity: 100 });
      const answers = await race(2000, (i) => buy(app, drop.id, `fan-${i}@stampede.test`, randomUUID()));

      expect(tally(answers)).toEqual({ "201 order": 100, "409 sold_out": 1900 });
      const units = answers.flatMap((a) => (a.body.order ? [a.body.order.unitNo] : [])).sort((a, b) => a - b);
      expect(units).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));

      const { rows } = await db.query<{ unit_no: number }>(
        "SELECT unit_no FROM orders WHERE drop_id = $1::uuid ORDER BY unit_no",
        [drop.id],
      );
      expect(rows.map((r) => r.unit_no)).toEqual(units);
      expect((await audit(app, drop.id, apiKey)).body).toEqual({
        quantity: 100,
        sold: 100,
        remaining: 0,
        oversold: 0,
        duplicateUnits: 0,
        unitsOutOfRange: 0,
      });
    },
  );

  itOncePerBackend("a single-bucket drop sells exactly N too", async () => {
    const drop = await app.shop.createDrop(await app.shop.sellerByApiKey(apiKey), {
      title: "One row",
      description: "",
      priceCents: 100,
      currency: "USD",
      quantity: 40,
      startsAt: new Date(Date.now() - 1000),
      maxPerFan: 1,
      bucketCount: 1,
    });
    const answers = await race(400, (i) => buy(app, drop.id, `one-${i}@stampede.test`));
    expect(tally(answers)).toEqual({ "201 order": 40, "409 sold_out": 360 });
    const units = answers.flatMap((a) => (a.body.order ? [a.body.order.unitNo] : [])).sort((a, b) => a - b);
    expect(units).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it_("one fan racing themself gets exactly maxPerFan units", async () => {
    const one = await createDrop(app, apiKey, { quantity: 50, maxPerFan: 1 });
    const answers = await race(60, () => buy(app, one.id, "greedy@stampede.test", randomUUID()));
    expect(tally(answers)).toEqual({ "201 order": 1, "409 limit_reached": 59 });

    const three = await createDrop(app, apiKey, { quantity: 50, maxPerFan: 3 });
    const more = await race(60, () => buy(app, three.id, "greedy@stampede.test", randomUUID()));
    expect(tally(more)).toEqual({ "201 order": 3, "409 limit_reached": 57 });
    expect((await audit(app, three.id, apiKey)).body.sold).toBe(3);
  });

  it_("copies of one request racing with the same key buy once and all get the same order", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 10 });
    const answers = await race(50, () => buy(app, drop.id, "twice@stampede.test", "the-one-key"));
    expect(tally(answers)).toEqual({ "201 order": 1, "200 order": 49 });
    expect(new Set(answers.map((a) => a.body.order!.id)).size).toBe(1);
    expect((await audit(app, drop.id, apiKey)).body.sold).toBe(1);
  });

  itOncePerBackend(
    "at the go-live edge: nobody buys before the database clock says so, everybody after",
    async () => {
      const startsAt = new Date(Date.now() + 1500);
      const drop = await createDrop(app, apiKey, { quantity: 1_000_000, startsAt: startsAt.toISOString() });
      const answers: Awaited<ReturnType<typeof buy>>[] = [];
      const until = startsAt.getTime() + 1500;
      let i = 0;
      while (Date.now() < until) {
        answers.push(...(await race(20, () => buy(app, drop.id, `edge-${i++}@stampede.test`))));
      }
      const counts = tally(answers);
      expect(Object.keys(counts).sort()).toEqual(["201 order", "409 not_live"]);
      expect(counts["409 not_live"]).toBeGreaterThan(0);
      expect(counts["201 order"]).toBeGreaterThan(0);
      const { rows } = await db.query<{ early: number }>(
        "SELECT count(*)::int AS early FROM orders o JOIN drops d ON d.id = o.drop_id WHERE o.drop_id = $1::uuid AND o.created_at < d.starts_at",
        [drop.id],
      );
      expect(rows[0]!.early).toBe(0);
    },
  );

  /**
   * The control: the same harness against a naive read-then-write purchase (read stock, then write
   * stock - 1 and an order) without the conditional decrement. If this did not oversell, the harness
   * could not see a race, and the tests above would prove nothing.
   */
  itOncePerBackend("control: a naive read-then-write purchase oversells under the same harness", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 20 });
    await db.query("CREATE TABLE IF NOT EXISTS naive_orders (drop_id uuid NOT NULL, fan text NOT NULL)");
    // The first two buyers read before either writes, and the second writes after the first committed: the
    // interleaving that oversells is built, so the control does not hang on the race happening by itself.
    const bothRead = signal();
    const firstWrote = signal();
    let reads = 0;
    const naiveBuy = async (fan: string) => {
      const { rows } = await db.query<{ remaining: number; bucket: number }>(
        "SELECT bucket, remaining FROM stock_buckets WHERE drop_id = $1::uuid AND remaining > 0 ORDER BY bucket LIMIT 1",
        [drop.id],
      );
      const turn = reads++;
      if (turn === 1) bothRead.resolve();
      if (turn === 0) await bothRead.promise;
      if (turn === 1) await firstWrote.promise;
      const found = rows[0];
      if (!found) return "sold_out";
      try {
        await db.query(
          "UPDATE stock_buckets SET remaining = $3::int WHERE drop_id = $1::uuid AND bucket = $2::int",
          [drop.id, found.bucket, found.remaining - 1],
        );
      } catch {
        return "error"; // REPEATABLE READ refuses some blind writes; the naive code has no answer for that.
      } finally {
        if (turn === 0) firstWrote.resolve();
      }
      await db.query("INSERT INTO naive_orders (drop_id, fan) VALUES ($1::uuid, $2::text)", [drop.id, fan]);
      return "won";
    };
    const answers = await race(400, (i) => naiveBuy(`naive-${i}`));
    const wins = answers.filter((a) => a === "won").length;
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM naive_orders WHERE drop_id = $1::uuid",
      [drop.id],
    );
    expect(rows[0]!.n).toBe(wins);
    expect(wins).toBeGreaterThan(20);
  });
});
