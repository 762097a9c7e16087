import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { RateLimited } from "../src/domain/errors";
import { isAvailable, openTestDatabase, type TestBackend } from "./support/databases";
import { createDrop, createSeller, hoodieDrop, json } from "./support/shop-fixtures";

/**
 * Issue 15 §2: four free accounts made 5,000 upcoming drops at will, each a live counter to watch. A seller
 * may create DROPS_PER_HOUR drops in any hour (counted in the database, so every process agrees); beyond,
 * 429 with Retry-After. Stress Test copies are not the seller's drops and do not count.
 */
describe.each<TestBackend>(["pglite", "postgres-read-committed"])(
  "abuse: drops per account on %s",
  (backend) => {
    let db: Database;
    let app: ReturnType<typeof createApp>;
    const it_ = isAvailable(backend) ? it : it.skip;

    beforeAll(async () => {
      if (!isAvailable(backend)) return;
      db = await openTestDatabase(backend);
      app = createApp({ db, logError: () => undefined, dropsPerHour: 3 });
    });
    afterAll(async () => db?.close());

    it_(
      "lets a seller create its hour's drops, then answers 429 with Retry-After and writes nothing",
      async () => {
        const { apiKey } = await createSeller(app);
        for (let i = 0; i < 3; i++) await createDrop(app, apiKey, { title: `Drop ${i}` });
        const count = async () =>
          (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM drops")).rows[0]!.n;
        const before = await count();
        const refused = await app.request(
          "/api/drops",
          json(
            { title: "One too many", priceCents: 100, quantity: 1 },
            { authorization: `Bearer ${apiKey}` },
          ),
        );
        expect(refused.status).toBe(429);
        const wait = Number(refused.headers.get("retry-after"));
        expect(wait).toBeGreaterThan(3000);
        expect(wait).toBeLessThanOrEqual(3600);
        const body = (await refused.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe("rate_limited");
        expect(body.error.message).toMatch(/3 drops in the last hour/);
        expect(await count()).toBe(before);

        // Another seller is not held back.
        const other = await createSeller(app);
        expect((await createDrop(app, other.apiKey)).quantity).toBe(10);
      },
    );

    it_("counts the seller's own drops only: a Stress Test copy is made past the limit", async () => {
      const { seller } = await app.shop.createSeller({
        email: `limit-${backend}@example.com`,
        name: "Limit",
        password: "a long password",
      });
      const drops = [];
      for (let i = 0; i < 3; i++)
        drops.push(await app.shop.createDrop(seller, hoodieDrop({ title: `Own ${i}` })));
      await expect(app.shop.createDrop(seller, hoodieDrop())).rejects.toBeInstanceOf(RateLimited);
      const copy = await app.shop.createDrop(seller, hoodieDrop(), { rehearsalOf: drops[0]!.id });
      expect(copy.isRehearsal).toBe(true);
      await expect(app.shop.createDrop(seller, hoodieDrop())).rejects.toBeInstanceOf(RateLimited);
    });
  },
);
