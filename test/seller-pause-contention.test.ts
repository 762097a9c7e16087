import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { audit, buy, createDrop, createSeller } from "./support/shop-fixtures";

/**
 * The kill switch under a stampede: buyers keep coming while the seller pauses mid-run. The pause is
 * decided by the database (the purchase statement reads paused_at in its own snapshot), so every purchase
 * that starts after the pause has committed must be refused with `paused`, whatever the backend.
 * The control run flips nothing at the same moment and shows the harness does see purchases after the mark.
 */
const BUYERS = 24;
const QUANTITY = 5000;
const MARK_AFTER_ORDERS = 40;

interface Attempt {
  startedAfterMark: boolean;
  status: number;
  code: string;
}

describe.each(ALL_BACKENDS)("pause racing a stampede on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    app = createApp({
      db,
      retryPolicy: { maxAttempts: 60, deadlineMs: 30_000, baseDelayMs: 2, maxDelayMs: 100 },
      logError: (e) => console.error(e),
    });
    ({ apiKey } = await createSeller(app));
  });
  afterAll(async () => db?.close());

  const it_ = isAvailable(backend) ? it : it.skip;

  /**
   * BUYERS loops buy one unit after another; once MARK_AFTER_ORDERS have sold, `atMark` runs and the mark is
   * set when it returns. Every loop then makes a few more purchases and stops.
   */
  async function stampede(dropId: string, atMark: () => Promise<void>): Promise<Attempt[]> {
    const attempts: Attempt[] = [];
    let sold = 0;
    let marked = false;
    let marking: Promise<void> | undefined;
    const buyer = async (b: number) => {
      let afterMark = 0;
      for (let i = 0; afterMark < 5; i++) {
        const startedAfterMark = marked;
        const answer = await buy(app, dropId, `fan-${b}-${i}@pause.test`, randomUUID());
        attempts.push({ startedAfterMark, status: answer.status, code: answer.body.error?.code ?? "order" });
        if (answer.status === 201) sold++;
        if (sold >= MARK_AFTER_ORDERS && !marking) {
          marking = atMark().then(() => {
            marked = true;
          });
        }
        if (startedAfterMark) afterMark++;
      }
    };
    await Promise.all(Array.from({ length: BUYERS }, (_, b) => buyer(b)));
    return attempts;
  }

  async function orderCount(dropId: string): Promise<number> {
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM orders WHERE drop_id = $1::uuid",
      [dropId],
    );
    return rows[0]!.n;
  }

  it_(
    "no purchase that starts after the pause commits is sold; every acknowledged order has its row",
    async () => {
      const drop = await createDrop(app, apiKey, { quantity: QUANTITY });
      const sellerAuth = { authorization: `Bearer ${apiKey}` };
      const attempts = await stampede(drop.id, async () => {
        const res = await app.request(`/api/drops/${drop.id}/pause`, { method: "POST", headers: sellerAuth });
        expect(res.status).toBe(200);
      });

      const after = attempts.filter((a) => a.startedAfterMark);
      expect(after.length).toBe(BUYERS * 5);
      expect(new Set(after.map((a) => `${a.status} ${a.code}`))).toEqual(new Set(["409 paused"]));
      const acknowledged = attempts.filter((a) => a.status === 201).length;
      expect(acknowledged).toBeGreaterThanOrEqual(MARK_AFTER_ORDERS);
      expect(await orderCount(drop.id)).toBe(acknowledged);
      expect((await audit(app, drop.id, apiKey)).body).toMatchObject({
        sold: acknowledged,
        remaining: QUANTITY - acknowledged,
        oversold: 0,
        duplicateUnits: 0,
      });

      // Resumed, it sells again.
      await app.request(`/api/drops/${drop.id}/resume`, { method: "POST", headers: sellerAuth });
      expect((await buy(app, drop.id, "after-resume@pause.test")).status).toBe(201);
    },
  );

  it_(
    "control: without a pause at the mark, purchases after it are sold (the harness can see them)",
    async () => {
      const drop = await createDrop(app, apiKey, { quantity: QUANTITY });
      const attempts = await stampede(drop.id, async () => undefined);
      const after = attempts.filter((a) => a.startedAfterMark);
      expect(after.filter((a) => a.status === 201).length).toBe(after.length);
    },
  );

  it_("edits racing buyers at go-live never leave stock and orders out of step", async () => {
    const sellerAuth = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
    const drop = await createDrop(app, apiKey, {
      quantity: 64,
      startsAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    // Go-live a moment from now, set once the drop exists so that slow set-up cannot eat the window.
    const goLive = Date.now() + 800;
    const moved = await app.request(`/api/drops/${drop.id}`, {
      method: "PATCH",
      headers: sellerAuth,
      body: JSON.stringify({ startsAt: new Date(goLive).toISOString() }),
    });
    expect(moved.status).toBe(200);
    let stop = false;
    const edits: number[] = [moved.status];
    const editor = async () => {
      // New quantities, back and forth, until the database says the drop is live.
      for (let i = 0; !stop; i++) {
        const res = await app.request(`/api/drops/${drop.id}`, {
          method: "PATCH",
          headers: sellerAuth,
          body: JSON.stringify({ quantity: i % 2 ? 64 : 40 + (i % 7), priceCents: 2500 + i }),
        });
        edits.push(res.status);
        if (res.status === 409) return;
      }
    };
    const buyer = async (b: number) => {
      for (let i = 0; !stop && Date.now() < goLive + 1500; i++) {
        await buy(app, drop.id, `edge-${b}-${i}@pause.test`, randomUUID());
      }
    };
    await Promise.all([editor(), ...Array.from({ length: 8 }, (_, b) => buyer(b))]).finally(() => {
      stop = true;
    });
    expect(edits).toContain(200);
    expect(edits.at(-1)).toBe(409);

    const { rows: buckets } = await db.query<{
      first_unit: number;
      size: number;
      remaining: number;
      sold: number;
    }>(
      `SELECT s.first_unit, s.size, s.remaining,
              (SELECT count(*)::int FROM orders o
                WHERE o.drop_id = s.drop_id AND o.unit_no >= s.first_unit AND o.unit_no < s.first_unit + s.size) AS sold
       FROM stock_buckets s WHERE s.drop_id = $1::uuid ORDER BY s.bucket`,
      [drop.id],
    );
    const { rows } = await db.query<{ quantity: number }>("SELECT quantity FROM drops WHERE id = $1::uuid", [
      drop.id,
    ]);
    const quantity = rows[0]!.quantity;
    expect(buckets.reduce((sum, b) => sum + b.size, 0)).toBe(quantity);
    for (const b of buckets) expect(b.sold).toBe(b.size - b.remaining);
    expect((await audit(app, drop.id, apiKey)).body).toMatchObject({
      quantity,
      oversold: 0,
      duplicateUnits: 0,
      unitsOutOfRange: 0,
    });
  });
});
