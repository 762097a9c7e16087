import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { DAY_MS, isoFromNow, testClock } from "./support/clock";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { audit, buy, createDrop, createSeller, type DropJson, json } from "./support/shop-fixtures";

/** The drop lifecycle through the JSON API: edit before go-live, pause / resume, cancel, orders export. */

const HOUR = 3_600_000;
const inAnHour = () => isoFromNow(HOUR);

type ErrorBody = { error: { code: string; issues?: { path: string; message: string }[] } };

describe.each(ALL_BACKENDS)("drop lifecycle API on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let key: string;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    // A short retry budget: the guard test below waits for the budget to run out.
    app = createApp({
      db,
      logError: () => undefined,
      retryPolicy: { maxAttempts: 3, deadlineMs: 1000, baseDelayMs: 1, maxDelayMs: 5 },
    });
    key = (await createSeller(app)).apiKey;
  });
  afterAll(async () => db?.close());

  const it_ = isAvailable(backend) ? it : it.skip;
  const owner = (apiKey = key) => ({ authorization: `Bearer ${apiKey}` });

  async function patch(ref: string, body: unknown, apiKey = key) {
    const res = await app.request(`/api/drops/${ref}`, { ...json(body, owner(apiKey)), method: "PATCH" });
    return { status: res.status, body: (await res.json()) as { drop: DropJson } & ErrorBody };
  }

  async function act(ref: string, action: "pause" | "resume" | "cancel", apiKey = key) {
    const res = await app.request(`/api/drops/${ref}/${action}`, { method: "POST", headers: owner(apiKey) });
    return { status: res.status, body: (await res.json()) as { drop: DropJson } & ErrorBody };
  }

  async function bucketsOf(dropId: string) {
    const { rows } = await db.query<{ bucket: number; first_unit: number; size: number; remaining: number }>(
      "SELECT bucket, first_unit, size, remaining FROM stock_buckets WHERE drop_id = $1::uuid ORDER BY bucket",
      [dropId],
    );
    return rows;
  }

  it_("edits every term before go-live and rebuilds the stock for a new quantity", async () => {
    const drop = await createDrop(app, key, { quantity: 100, startsAt: inAnHour() });
    const later = new Date(Math.floor(testClock() / 1000) * 1000 + 30 * DAY_MS).toISOString();
    const edited = await patch(drop.id, {
      title: "Renamed",
      description: "Now with laces.",
      priceCents: 3100,
      currency: "eur",
      quantity: 17,
      maxPerFan: 3,
      startsAt: later,
    });
    expect(edited.status).toBe(200);
    expect(edited.body.drop).toMatchObject({
      title: "Renamed",
      priceCents: 3100,
      currency: "EUR",
      quantity: 17,
      remaining: 17,
      maxPerFan: 3,
      startsAt: later,
      status: "upcoming",
    });
    const buckets = await bucketsOf(drop.id);
    expect(buckets.reduce((sum, b) => sum + b.size, 0)).toBe(17);
    expect(buckets.every((b) => b.remaining === b.size)).toBe(true);
    // Contiguous units 1..17, no gap and no overlap.
    expect(buckets.map((b) => b.first_unit)).toEqual(
      buckets.map((_, i) => 1 + buckets.slice(0, i).reduce((sum, b) => sum + b.size, 0)),
    );

    // Brought forward to now, it sells from the new stock at the new price.
    expect((await patch(drop.id, { startsAt: new Date().toISOString() })).body.drop.status).toBe("live");
    const bought = await buy(app, drop.id, "first@x.io");
    expect(bought.status).toBe(201);
    expect(bought.body.order).toMatchObject({ priceCents: 3100 });
    expect(bought.body.order!.unitNo).toBeLessThanOrEqual(17);
    expect((await audit(app, drop.id, key)).body).toMatchObject({ quantity: 17, sold: 1, remaining: 16 });
  });

  it_("once live, refuses a new price or quantity (409 drop_live) but takes a new title", async () => {
    const drop = await createDrop(app, key, { quantity: 10, priceCents: 2500 });
    for (const change of [{ priceCents: 1 }, { quantity: 11 }]) {
      const refused = await patch(drop.id, change);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe("drop_live");
    }
    const renamed = await patch(drop.id, { title: "Still selling", priceCents: 2500 });
    expect(renamed.status).toBe(200);
    expect(renamed.body.drop).toMatchObject({ title: "Still selling", priceCents: 2500, quantity: 10 });
    expect((await bucketsOf(drop.id)).reduce((sum, b) => sum + b.size, 0)).toBe(10);
  });

  it_(
    "does not rebuild stock a purchase has already touched: the edit is refused, nothing written",
    async () => {
      const drop = await createDrop(app, key, { quantity: 40, startsAt: inAnHour() });
      // As if a buyer at go-live had committed while the edit ran: one bucket is no longer full.
      await db.query(
        "UPDATE stock_buckets SET remaining = remaining - 1 WHERE drop_id = $1::uuid AND bucket = 2",
        [drop.id],
      );
      const before = await bucketsOf(drop.id);
      for (const change of [{ quantity: 80 }, { priceCents: 99 }]) {
        const refused = await patch(drop.id, change);
        expect(refused.status).toBe(503);
        expect(refused.body.error.code).toBe("busy");
      }
      expect(await bucketsOf(drop.id)).toEqual(before);
      const { rows } = await db.query<{ quantity: number; price_cents: number }>(
        "SELECT quantity, price_cents FROM drops WHERE id = $1::uuid",
        [drop.id],
      );
      expect(rows[0]).toEqual({ quantity: 40, price_cents: 2500 });
    },
  );

  it_("pause stops purchases in the database and resume restores them", async () => {
    const drop = await createDrop(app, key, { quantity: 5 });
    expect((await buy(app, drop.id, "a@x.io")).status).toBe(201);

    const paused = await act(drop.id, "pause");
    expect(paused.status).toBe(200);
    expect(paused.body.drop).toMatchObject({ status: "paused", remaining: 4 });
    expect(paused.body.drop.status).toBe("paused");

    const refused = await buy(app, drop.id, "b@x.io");
    expect(refused.status).toBe(409);
    expect(refused.body.error!.code).toBe("paused");
    // The refusal came from the statement, not from anything cached: nothing sold, not marked sold out.
    expect((await audit(app, drop.id, key)).body).toMatchObject({ sold: 1, remaining: 4 });
    expect(app.shop.cache.isSoldOut(drop.id)).toBe(false);
    expect(
      ((await (await app.request(`/api/drops/${drop.slug}`)).json()) as { drop: DropJson }).drop.status,
    ).toBe("paused");

    const resumed = await act(drop.id, "resume");
    expect(resumed.body.drop.status).toBe("live");
    expect((await buy(app, drop.id, "b@x.io")).status).toBe(201);
  });

  it_("a pause set directly in the database (another process) is honoured by the purchase", async () => {
    const drop = await createDrop(app, key, { quantity: 5 });
    await db.query("UPDATE drops SET paused_at = now() WHERE id = $1::uuid", [drop.id]);
    expect((await buy(app, drop.id, "c@x.io")).body.error!.code).toBe("paused");
  });

  it_("cancels an upcoming drop (purchases answer cancelled) but not a live one", async () => {
    const upcoming = await createDrop(app, key, { quantity: 5, startsAt: inAnHour() });
    const cancelled = await act(upcoming.id, "cancel");
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.drop.status).toBe("cancelled");
    expect((await act(upcoming.id, "cancel")).body.drop.status).toBe("cancelled");
    // Brought to go-live directly in the database, a cancelled drop still sells nothing.
    await db.query("UPDATE drops SET starts_at = now() - interval '1 minute' WHERE id = $1::uuid", [
      upcoming.id,
    ]);
    const refused = await buy(app, upcoming.id, "d@x.io");
    expect(refused.status).toBe(409);
    expect(refused.body.error!.code).toBe("cancelled");
    expect((await patch(upcoming.id, { title: "Back?" })).body.error.code).toBe("cancelled");
    expect((await act(upcoming.id, "pause")).body.error.code).toBe("cancelled");

    const live = await createDrop(app, key, { quantity: 5 });
    const refusedCancel = await act(live.id, "cancel");
    expect(refusedCancel.status).toBe(409);
    expect(refusedCancel.body.error.code).toBe("drop_live");
  });

  it_(
    "goes live at once without startsAt, and refuses a startsAt long past with an issue on it",
    async () => {
      const now = await app.request(
        "/api/drops",
        json({ title: "Now", priceCents: 100, quantity: 2 }, owner()),
      );
      expect(now.status).toBe(201);
      expect(((await now.json()) as { drop: DropJson }).drop.status).toBe("live");

      const past = await app.request(
        "/api/drops",
        json(
          {
            title: "Past",
            priceCents: 100,
            quantity: 2,
            startsAt: new Date(Date.now() - 6 * 60_000).toISOString(),
          },
          owner(),
        ),
      );
      expect(past.status).toBe(400);
      const { error } = (await past.json()) as ErrorBody;
      expect(error.issues!.map((i) => i.path)).toEqual(["startsAt"]);
    },
  );

  it_(
    "keeps the lifecycle to the owner: 401 without a key, 404 for another seller, 400 on unknown fields",
    async () => {
      const drop = await createDrop(app, key, { startsAt: inAnHour() });
      const other = (await createSeller(app)).apiKey;
      expect((await app.request(`/api/drops/${drop.id}/pause`, { method: "POST" })).status).toBe(401);
      expect((await act(drop.id, "pause", other)).status).toBe(404);
      expect((await patch(drop.id, { title: "Mine now" }, other)).status).toBe(404);
      const typo = await patch(drop.id, { titel: "Typo" });
      expect(typo.status).toBe(400);
      expect(typo.body.error.code).toBe("invalid");
    },
  );

  it_("exports the orders as CSV by unit, header first, with formula-looking fans defused", async () => {
    const drop = await createDrop(app, key, { quantity: 3, priceCents: 1250, maxPerFan: 1 });
    for (const fan of ["=HYPERLINK(evil)", "plain@x.io", 'quote"comma,fan'])
      expect((await buy(app, drop.id, fan)).status).toBe(201);
    const res = await app.request(`/api/drops/${drop.id}/orders.csv`, { headers: owner() });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = (await res.text()).trimEnd().split("\r\n");
    expect(lines[0]).toMatch(/^unit,order_id,fan,price,currency,created_at,variant,status,paid_at,/);
    expect(lines.slice(1).map((line) => line.split(",")[0])).toEqual(["1", "2", "3"]);
    const text = lines.join("\n");
    expect(text).toContain(",'=HYPERLINK(evil),12.50,USD,");
    expect(text).toContain(',"quote""comma,fan",12.50,USD,');
    expect((await app.request(`/api/drops/${drop.id}/orders.csv`)).status).toBe(401);
  });
});
