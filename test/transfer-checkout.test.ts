import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { transferShop } from "../src/domain/books/shop-transfer";
import { TestPaymentProvider } from "../src/domain/checkout/payments";
import type { Shop } from "../src/domain/shop";
import type { Drop } from "../src/domain/types";
import * as repo from "../src/repository";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { hoodieDrop } from "./support/shop-fixtures";

/**
 * Moving a shop carries its checkout (issue 8): a hold drop with a held, a paid, a released, an expired and
 * a refunded order, and a returned unit sold again, is copied from the embedded database to each backend.
 * The target's books equal the source's (the audit and the checkout's own: held, paid, returned units,
 * ended holds by how they ended), every checkout row is the same, and the checkout carries on there: the
 * held order is paid with the token the fan was given on the source, and the expired hold is gone for good.
 */
describe.each(ALL_BACKENDS)("moving a checkout shop to %s", (backend) => {
  let source: Database;
  let target: Database;
  let shop: Shop;
  let drop: Drop;
  const payments = new TestPaymentProvider();
  const tokens = new Map<string, { id: string; token: string }>();

  /** Every checkout row of the drop, in one comparable shape (timestamps as ISO text). */
  async function checkoutRows(db: Database, dropId: string) {
    const rows = async (sql: string) =>
      JSON.parse(JSON.stringify((await db.query(sql, [dropId])).rows)) as unknown[];
    return {
      orders: await rows(
        `SELECT id, unit_no, fan, fan_slot, status, expires_at, paid_at, token_hash, payment_ref, idempotency_key
         FROM orders WHERE drop_id = $1::uuid ORDER BY id`,
      ),
      history: await rows(
        `SELECT id, unit_no, fan, status, expires_at, token_hash, payment_ref, ended_at
         FROM order_history WHERE drop_id = $1::uuid ORDER BY id`,
      ),
      returned: await rows(
        "SELECT unit_no, returned_at FROM returned_units WHERE drop_id = $1::uuid ORDER BY unit_no",
      ),
    };
  }

  /** Makes `fan`'s hold run out now, as if its minutes had passed (the database clock cannot be moved). */
  const expireHold = (fan: string) =>
    source.query(
      "UPDATE orders SET expires_at = now() - interval '1 second' WHERE drop_id = $1::uuid AND fan_shown = $2",
      [drop.id, fan],
    );

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    source = await openTestDatabase("pglite");
    const app = createApp({ db: source, payments, logError: (e) => console.error(e) });
    shop = app.shop;
    const { seller } = await shop.createSeller({
      email: "holds@example.com",
      name: "Ada",
      password: "a long password",
    });
    drop = await shop.createDrop(seller, hoodieDrop({ title: "Held hoodie", quantity: 6, holdSeconds: 600 }));
    for (const fan of ["held", "paid", "released", "expired", "refunded"]) {
      const { checkout } = await shop.purchase(drop.id, { fan: `${fan}@example.com` });
      tokens.set(fan, { id: checkout!.order.id, token: checkout!.orderToken! });
    }
    const pay = (fan: string, card: string) =>
      shop.checkout.pay(tokens.get(fan)!.id, tokens.get(fan)!.token, { card });
    await pay("paid", "4242424242424242");
    await shop.checkout.release(tokens.get("released")!.id, tokens.get("released")!.token);
    // The refunded fan starts a payment needing a second step, then the hold runs out before it is done.
    const started = await pay("refunded", "4000002500003155");
    await expireHold("expired@example.com");
    await expireHold("refunded@example.com");
    expect(await shop.checkout.sweep()).toBe(2);
    await expect(
      shop.checkout.pay(tokens.get("refunded")!.id, tokens.get("refunded")!.token, {
        paymentId: started.pending!.id,
      }),
    ).rejects.toMatchObject({ code: "hold_expired", refunded: true });
    // A returned unit is sold again, so the books hold units in every place a unit can be.
    const again = await shop.purchase(drop.id, { fan: "again@example.com" });
    tokens.set("again", { id: again.checkout!.order.id, token: again.checkout!.orderToken! });
    target = await openTestDatabase(backend);
  }, 60_000);
  afterAll(async () => {
    await target?.close();
    await source?.close();
  });

  const it_ = isAvailable(backend) ? it : it.skip;

  it_(
    "the target's books and checkout rows equal the source's, and the checkout carries on there",
    async () => {
      const before = {
        audit: await repo.auditDrop(source, drop.id),
        books: await repo.checkoutTotals(source, drop.id),
        rows: await checkoutRows(source, drop.id),
      };
      // What the source holds, so the comparison below compares something.
      expect(before.books).toEqual({
        holdSeconds: 600,
        held: 2,
        paid: 1,
        returnedUnits: 2,
        expired: 1,
        released: 1,
        refunded: 1,
      });
      expect(before.audit).toMatchObject({
        quantity: 6,
        sold: 3,
        remaining: 3,
        oversold: 0,
        duplicateUnits: 0,
      });

      const report = await transferShop(source, target);
      expect(report.dropsAudited).toBe(1);
      for (const table of ["orders", "order_history", "returned_units"]) {
        expect(report.tables.find((t) => t.name === table)?.rows, table).toBeGreaterThan(0);
      }
      expect(await repo.auditDrop(target, drop.id)).toEqual(before.audit);
      expect(await repo.checkoutTotals(target, drop.id)).toEqual(before.books);
      expect(await checkoutRows(target, drop.id)).toEqual(before.rows);

      // The same provider, a new process on the target: the fan's token from the source still pays.
      const moved = createApp({ db: target, payments, logError: (e) => console.error(e) }).shop;
      const held = tokens.get("held")!;
      const paid = await moved.checkout.pay(held.id, held.token, { card: "4242424242424242" });
      expect(paid.order.status).toBe("paid");
      const expired = tokens.get("expired")!;
      await expect(
        moved.checkout.pay(expired.id, expired.token, { card: "4242424242424242" }),
      ).rejects.toMatchObject({
        code: "hold_expired",
      });
      expect(await repo.checkoutTotals(target, drop.id)).toMatchObject({
        held: 1,
        paid: 2,
        returnedUnits: 2,
      });
    },
  );

  it_(
    "a copy that changed orders' statuses (rows and units intact) is refused by the checkout's books",
    async () => {
      const fresh = await openTestDatabase(backend);
      // Every held order lands as paid: the same rows and units, so only the checkout's books can tell.
      const asPaid = (p: unknown) =>
        typeof p === "string" ? p.replaceAll('"status":"held"', '"status":"paid"') : p;
      const lossy = new Proxy(fresh, {
        get(db, key) {
          if (key === "query") {
            return (text: string, params: unknown[] = []) =>
              db.query(text, text.startsWith('INSERT INTO "orders"') ? params.map(asPaid) : params);
          }
          const value = Reflect.get(db, key);
          return typeof value === "function" ? value.bind(db) : value;
        },
      });
      try {
        await expect(transferShop(source, lossy)).rejects.toThrow(/books differ: .*"held":0,"paid":\d/);
      } finally {
        await fresh.close();
      }
    },
  );
});
