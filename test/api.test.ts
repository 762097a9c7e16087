import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { DAY_MS, HOUR_MS, isoFromNow, localFromNow } from "./support/clock";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { audit, buy, createDrop, createSeller, json } from "./support/shop-fixtures";

describe.each(ALL_BACKENDS)("JSON API on %s", (backend) => {
  const ada = `ada-${randomUUID()}@example.com`;
  let db: Database;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    app = createApp({ db, logError: () => undefined });
  });
  afterAll(async () => db?.close());

  const it_ = isAvailable(backend) ? it : it.skip;

  describe("sellers", () => {
    it_("creates a seller and shows the API key once; the key is stored only hashed", async () => {
      const res = await app.request(
        "/api/sellers",
        json({ email: ` ${ada.toUpperCase()} `, password: "a long password", name: "Ada" }),
      );
      expect(res.status).toBe(201);
      const body = (await res.json()) as { seller: Record<string, unknown>; apiKey: string };
      expect(body.seller).toMatchObject({ email: ada, name: "Ada" });
      expect(body.apiKey).toMatch(/^dfl_[A-Za-z0-9_-]{43}$/);
      expect(Object.keys(body.seller).sort()).toEqual(["createdAt", "email", "id", "name"]);
      const { rows } = await db.query<{ api_key_hash: string; password_hash: string }>(
        "SELECT api_key_hash, password_hash FROM sellers WHERE email = $1::text",
        [ada],
      );
      expect(rows[0]!.api_key_hash).not.toContain(body.apiKey);
      expect(rows[0]!.api_key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(rows[0]!.password_hash).toMatch(/^scrypt\$/);
    });

    it_("refuses a second seller with the same email (409) and bad input (400 with reasons)", async () => {
      const again = await app.request(
        "/api/sellers",
        json({ email: ada, password: "another password", name: "Ada 2" }),
      );
      expect(again.status).toBe(409);
      expect(((await again.json()) as { error: { code: string } }).error.code).toBe("email_taken");

      const bad = await app.request(
        "/api/sellers",
        json({ email: "not-an-email", password: "short", name: "" }),
      );
      expect(bad.status).toBe(400);
      const { error } = (await bad.json()) as { error: { code: string; issues: { path: string }[] } };
      expect(error.code).toBe("invalid");
      expect(error.issues.map((i) => i.path).sort()).toEqual(["email", "name", "password"]);
    });
  });

  describe("drops", () => {
    it_("creates a drop for a seller and reads it back by id and by slug", async () => {
      const { apiKey } = await createSeller(app);
      // A wall time a month ahead, sent with a +01:00 offset: stored as the instant an hour earlier in UTC.
      const later = localFromNow(30 * DAY_MS);
      const drop = await createDrop(app, apiKey, {
        title: "Midnight Sneakers!",
        quantity: 500,
        priceCents: 12900,
        currency: "eur",
        maxPerFan: 2,
        startsAt: `${later}:00+01:00`,
      });
      expect(drop).toMatchObject({
        quantity: 500,
        remaining: 500,
        status: "upcoming",
        maxPerFan: 2,
        priceCents: 12900,
      });
      expect(drop.slug).toMatch(/^midnight-sneakers-[a-z0-9]{6}$/);
      expect(drop.startsAt).toBe(new Date(Date.parse(`${later}:00Z`) - HOUR_MS).toISOString());

      for (const ref of [drop.id, drop.slug]) {
        const res = await app.request(`/api/drops/${ref}`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { drop: Record<string, unknown> };
        expect(body.drop).toMatchObject({ id: drop.id, currency: "EUR", remaining: 500, status: "upcoming" });
        expect(Date.parse(body.drop.serverTime as string)).toBeGreaterThan(Date.now() - 60_000);
      }
      const { rows } = await db.query<{ n: number; units: number }>(
        "SELECT count(*)::int AS n, sum(size)::int AS units FROM stock_buckets WHERE drop_id = $1::uuid",
        [drop.id],
      );
      expect(rows[0]).toEqual({ n: 62, units: 500 });
    });

    it_("requires a valid API key (401) and validates every field (400)", async () => {
      const body = { title: "x", priceCents: 100, quantity: 1, startsAt: isoFromNow(30 * DAY_MS) };
      expect((await app.request("/api/drops", json(body))).status).toBe(401);
      expect((await app.request("/api/drops", json(body, { authorization: "Bearer nope" }))).status).toBe(
        401,
      );

      const { apiKey } = await createSeller(app);
      const res = await app.request(
        "/api/drops",
        json(
          {
            title: "",
            priceCents: -1,
            quantity: 1_000_001,
            startsAt: "tomorrow",
            maxPerFan: 0,
            currency: "EURO",
          },
          { authorization: `Bearer ${apiKey}` },
        ),
      );
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { issues: { path: string; message: string }[] } };
      expect(error.issues.map((i) => i.path).sort()).toEqual([
        "currency",
        "maxPerFan",
        "priceCents",
        "quantity",
        "startsAt",
        "title",
      ]);
      expect(error.issues.find((i) => i.path === "quantity")!.message).toBe(
        "quantity must be at most 1,000,000",
      );
      const count = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM drops WHERE title = ''");
      expect(count.rows[0]!.n).toBe(0);
    });

    it_("answers 404 for unknown drops, whatever the reference looks like", async () => {
      for (const ref of ["00000000-0000-4000-8000-000000000000", "no-such-slug", "bad%20ref%3B"]) {
        const res = await app.request(`/api/drops/${ref}`);
        expect(res.status).toBe(404);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
      }
      expect((await buy(app, "no-such-slug", "fan@example.com")).status).toBe(404);
    });
  });

  describe("purchase", () => {
    it_("sells units 1..N, then answers sold out; the audit balances", async () => {
      const { apiKey } = await createSeller(app);
      const drop = await createDrop(app, apiKey, { quantity: 3, priceCents: 999 });
      const units: number[] = [];
      for (const fan of ["a@x.io", "b@x.io", "c@x.io"]) {
        const { status, body } = await buy(app, drop.slug, fan);
        expect(status).toBe(201);
        expect(body.order).toMatchObject({ dropId: drop.id, fan, priceCents: 999 });
        expect(Object.keys(body.order!).sort()).toEqual([
          "createdAt",
          "dropId",
          "fan",
          "id",
          "priceCents",
          "unitNo",
        ]);
        units.push(body.order!.unitNo);
      }
      expect(units.sort()).toEqual([1, 2, 3]);
      const fourth = await buy(app, drop.id, "d@x.io");
      expect(fourth.status).toBe(409);
      expect(fourth.body.error!.code).toBe("sold_out");
      expect((await audit(app, drop.id, apiKey)).body).toEqual({
        quantity: 3,
        sold: 3,
        remaining: 0,
        oversold: 0,
        duplicateUnits: 0,
        unitsOutOfRange: 0,
      });
      const after = (await (await app.request(`/api/drops/${drop.id}`)).json()) as {
        drop: { status: string };
      };
      expect(after.drop.status).toBe("sold_out");
    });

    it_(
      "returns the same order for a repeated idempotency key (body or header), also after sold out",
      async () => {
        const { apiKey } = await createSeller(app);
        const drop = await createDrop(app, apiKey, { quantity: 1 });
        const first = await buy(app, drop.id, "fan@x.io", "key-1");
        expect(first.status).toBe(201);
        const again = await buy(app, drop.id, "fan@x.io", "key-1");
        expect(again.status).toBe(200);
        expect(again.body.order).toEqual(first.body.order);

        const viaHeader = await app.request(
          `/api/drops/${drop.id}/purchase`,
          json({ fan: "fan@x.io" }, { "idempotency-key": "key-1" }),
        );
        expect(viaHeader.status).toBe(200);
        expect(((await viaHeader.json()) as { order: { id: string } }).order.id).toBe(first.body.order!.id);

        expect((await buy(app, drop.id, "other@x.io", "key-2")).body.error!.code).toBe("sold_out");
        // The drop is now known sold out; the winner's retry still gets its order back.
        expect((await buy(app, drop.id, "fan@x.io", "key-1")).status).toBe(200);

        const conflict = await app.request(
          `/api/drops/${drop.id}/purchase`,
          json({ fan: "fan@x.io", idempotencyKey: "a" }, { "idempotency-key": "b" }),
        );
        expect(conflict.status).toBe(400);
      },
    );

    it_("holds a fan to maxPerFan, counting the fan case-insensitively", async () => {
      const { apiKey } = await createSeller(app);
      const drop = await createDrop(app, apiKey, { quantity: 10, maxPerFan: 2 });
      expect((await buy(app, drop.id, "Fan@X.io")).status).toBe(201);
      expect((await buy(app, drop.id, "fan@x.io")).status).toBe(201);
      const third = await buy(app, drop.id, "FAN@x.io");
      expect(third.status).toBe(409);
      expect(third.body.error).toMatchObject({ code: "limit_reached", maxPerFan: 2 });
      expect((await buy(app, drop.id, "someone-else@x.io")).status).toBe(201);
    });

    it_("turns buyers away before go-live with the start time, judged by the database clock", async () => {
      const { apiKey } = await createSeller(app);
      const startsAt = new Date(Date.now() + 3_600_000).toISOString();
      const drop = await createDrop(app, apiKey, { quantity: 5, startsAt });
      const early = await buy(app, drop.id, "early@x.io");
      expect(early.status).toBe(409);
      expect(early.body.error).toMatchObject({
        code: "not_live",
        startsAt: new Date(startsAt).toISOString(),
      });
      expect((await audit(app, drop.id, apiKey)).body.sold).toBe(0);
    });

    it_("says in words which field is missing, and that the body must be an object", async () => {
      const { apiKey } = await createSeller(app);
      const drop = await createDrop(app, apiKey, { quantity: 1 });
      const missing = await app.request(`/api/drops/${drop.id}/purchase`, json({}));
      expect(await missing.json()).toEqual({
        error: {
          code: "invalid",
          message: "fan: fan is required",
          issues: [{ path: "fan", message: "fan is required" }],
        },
      });
      const notObject = await app.request(`/api/drops/${drop.id}/purchase`, json(null));
      expect(((await notObject.json()) as { error: { message: string } }).error.message).toBe(
        "Body must be a JSON object.",
      );
    });

    it_("rejects bad input with 400/413/415 and writes nothing", async () => {
      const { apiKey } = await createSeller(app);
      const drop = await createDrop(app, apiKey, { quantity: 5 });
      const cases: [RequestInit, number, string][] = [
        [json({}), 400, "invalid"],
        [json({ fan: "" }), 400, "invalid"],
        [json({ fan: "x".repeat(201) }), 400, "invalid"],
        [json({ fan: "ok@x.io", idempotencyKey: "has space" }), 400, "invalid"],
        [
          { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" },
          400,
          "invalid",
        ],
        [
          { method: "POST", headers: { "content-type": "text/plain" }, body: "fan=x" },
          415,
          "unsupported_media_type",
        ],
        [{ method: "POST", body: "fan=x" }, 415, "unsupported_media_type"],
        [json({ fan: "y".repeat(20_000) }), 413, "payload_too_large"],
        [
          {
            method: "POST",
            headers: { "content-type": "application/json", "content-length": "20000" },
            body: "{}",
          },
          413,
          "payload_too_large",
        ],
      ];
      for (const [init, status, code] of cases) {
        const res = await app.request(`/api/drops/${drop.id}/purchase`, init);
        expect(res.status, JSON.stringify(init.body).slice(0, 40)).toBe(status);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
      }
      expect((await audit(app, drop.id, apiKey)).body.sold).toBe(0);
    });
  });

  describe("owner-only audit and orders", () => {
    it_("pages the per-unit audit trail newest first; others get 404, no key 401", async () => {
      const { apiKey } = await createSeller(app);
      const drop = await createDrop(app, apiKey, { quantity: 7 });
      const bought: string[] = [];
      for (let i = 0; i < 7; i++) bought.push((await buy(app, drop.id, `fan${i}@x.io`)).body.order!.id);

      const seen: { id: string; unitNo: number; attempts: number }[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=3&cursor=${cursor}` : "?limit=3";
        const res = await app.request(`/api/drops/${drop.slug}/orders${query}`, {
          headers: { authorization: `Bearer ${apiKey}` },
        });
        expect(res.status).toBe(200);
        const page = (await res.json()) as { orders: typeof seen; nextCursor: string | null };
        expect(page.orders.length).toBeLessThanOrEqual(3);
        seen.push(...page.orders);
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen.map((o) => o.id)).toEqual([...bought].reverse());
      expect(seen.map((o) => o.unitNo).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(seen.every((o) => o.attempts >= 1)).toBe(true);

      const other = await createSeller(app);
      expect((await audit(app, drop.id, other.apiKey)).status).toBe(404);
      const orders = await app.request(`/api/drops/${drop.id}/orders`, {
        headers: { authorization: `Bearer ${other.apiKey}` },
      });
      expect(orders.status).toBe(404);
      expect((await app.request(`/api/drops/${drop.id}/audit`)).status).toBe(401);
      const badCursor = await app.request(`/api/drops/${drop.id}/orders?cursor=zzz`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      expect(badCursor.status).toBe(400);
    });
  });
});
