import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database, Queryable } from "../src/db/database";
import { probePurchaseForm } from "../src/repository";
import { openTestDatabase } from "./support/databases";
import { audit, buy, createDrop, createSeller } from "./support/shop-fixtures";

/**
 * A backend that refuses a WITH ... UPDATE (as Aurora DSQL's documentation leaves possible): the engine
 * notices once, by a probe that changes nothing, and sells through an explicit transaction instead.
 * (Drop creation's WITH ... INSERT is left alone here: it is not the purchase path.)
 */
const DATA_MODIFYING_CTE = /^\s*WITH\b[\s\S]*\bUPDATE\b/i;

function refusingCtes(db: Database, sqlState: "0A000" | "42601") {
  const counts = { refused: 0 };
  const guard =
    (target: Queryable): Queryable["query"] =>
    (text, params, options) => {
      if (DATA_MODIFYING_CTE.test(text)) {
        counts.refused++;
        return Promise.reject(
          Object.assign(new Error("WITH ... UPDATE is not supported"), { code: sqlState }),
        );
      }
      return target.query(text, params, options);
    };
  const wrapped: Database = {
    backend: db.backend,
    isolation: db.isolation,
    query: guard(db),
    transaction: (work) => db.transaction((tx) => work({ query: guard(tx) })),
    close: () => db.close(),
  };
  return { db: wrapped, counts };
}

describe("the purchase's form is chosen by probing the backend once", () => {
  let base: Database;

  beforeAll(async () => {
    base = await openTestDatabase("pglite");
  });
  afterAll(async () => base?.close());

  it("a backend that runs data-modifying CTEs gets the one-statement form", async () => {
    expect(await probePurchaseForm(base)).toBe("cte");
  });

  it.each(["0A000", "42601"] as const)(
    "a backend refusing them (%s) gets the transaction form and still sells exactly N",
    async (state) => {
      const refusing = refusingCtes(base, state);
      const app = createApp({ db: refusing.db, logError: (e) => console.error(e) });
      const { apiKey } = await createSeller(app);
      expect(await app.shop.purchaseForm()).toBe("transaction");
      expect(await app.shop.purchaseForm()).toBe("transaction");
      expect(refusing.counts.refused).toBe(1); // probed once, not per purchase

      const drop = await createDrop(app, apiKey, { quantity: 6 });
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => buy(app, drop.id, `form-${i}@fans.test`, randomUUID())),
      );
      expect(answers.filter((a) => a.status === 201)).toHaveLength(6);
      expect(answers.filter((a) => a.body.error?.code === "sold_out")).toHaveLength(24);
      expect(refusing.counts.refused).toBe(1);
      expect((await audit(app, drop.id, apiKey)).body).toMatchObject({
        sold: 6,
        oversold: 0,
        duplicateUnits: 0,
      });
    },
  );

  it("a probe that fails for another reason is not taken as an answer: it is asked again", async () => {
    let down = true;
    const flaky: Database = {
      ...base,
      query: (text, params, options) =>
        down
          ? Promise.reject(Object.assign(new Error("connection refused"), { code: "ECONNREFUSED" }))
          : base.query(text, params, options),
      transaction: (work) => base.transaction(work),
      close: () => base.close(),
    };
    const app = createApp({ db: flaky, logError: () => undefined });
    await expect(app.shop.purchaseForm()).rejects.toThrow("connection refused");
    down = false;
    expect(await app.shop.purchaseForm()).toBe("cte");
  });
});
