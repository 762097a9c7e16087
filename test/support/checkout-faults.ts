import type { Database } from "../../src/db/database";
import { Busy } from "../../src/domain/errors";
import type { Shop } from "../../src/domain/shop";

/**
 * The database, with the mark-paid statement failing: before it runs, or after it committed (its answer
 * lost). The statement runs inside a transaction (with its outbox event), so "after" fails once that
 * transaction has committed.
 */
export function failingMarkPaid(db: Database, when: "before" | "after"): Database {
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === "transaction") {
        const transaction: Database["transaction"] = async (work) => {
          let marked = false;
          const result = await target.transaction((tx) =>
            work({
              query: async (sql, params, options) => {
                if (options?.name !== "hold_mark_paid") return tx.query(sql, params, options);
                if (when === "before") throw new Busy();
                marked = true;
                return tx.query(sql, params, options);
              },
            }),
          );
          if (marked) throw new Busy();
          return result;
        };
        return transaction;
      }
      if (prop !== "query") {
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      }
      const query: Database["query"] = async (sql, params, options) => {
        if (options?.name !== "hold_mark_paid") return target.query(sql, params, options);
        if (when === "after") await target.query(sql, params, options);
        throw new Busy();
      };
      return query;
    },
  });
}

/** A new seller's one-unit hold drop (60 s hold) and a fan's held order on it: its id and order token. */
export async function heldOrderOn(shop: Shop): Promise<{ orderId: string; token: string; dropId: string }> {
  const { seller } = await shop.createSeller({
    email: `settle-${Math.random()}@example.com`,
    name: "Settle",
    password: "correct horse battery",
  });
  const drop = await shop.createDrop(seller, {
    title: "Held",
    description: "",
    priceCents: 1000,
    currency: "USD",
    quantity: 1,
    maxPerFan: 1,
    holdSeconds: 60,
  });
  const held = (await shop.purchase(drop.id, { fan: "fan@example.com" })).checkout!;
  return { orderId: held.order.id, token: held.orderToken!, dropId: drop.id };
}
