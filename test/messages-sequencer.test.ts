import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import * as repo from "../src/repository";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { buy, createDrop, createSeller } from "./support/shop-fixtures";

/**
 * Several sequencers racing for one drop (every process runs one): positions stay 1..N with no gap and no
 * duplicate, every order gets exactly one order.created. The control stamps the same events without the
 * guard (no FOR UPDATE, no conditional move of the sequence row): two stampers then pick the same position,
 * and only the table's UNIQUE (drop_id, position) refuses the second.
 */
describe.each(ALL_BACKENDS)("racing sequencers on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  const it_ = isAvailable(backend) ? it : it.skip;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend, { poolSize: 8 });
    app = createApp({ db, logError: () => undefined });
  });
  afterAll(async () => db?.close());

  async function soldDrop(units: number) {
    const { apiKey } = await createSeller(app);
    const drop = await createDrop(app, apiKey, { quantity: units, maxPerFan: 1 });
    for (let i = 0; i < units; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, j) => buy(app, drop.id, `racer${i + j}`)));
    }
    return drop;
  }

  it_("hands out gap-free, unique positions and one order.created per order", async () => {
    const drop = await soldDrop(120);
    const noFanOut = async () => undefined;
    // Eight passes at once, batches of 25, again until nothing is left.
    for (let round = 0; round < 20; round++) {
      const passes = await Promise.allSettled(
        Array.from({ length: 8 }, () => repo.sequenceDrop(db, drop.id, 25, noFanOut)),
      );
      const stamped = passes.reduce((n, p) => n + (p.status === "fulfilled" ? p.value.stamped.length : 0), 0);
      if (stamped === 0 && passes.some((p) => p.status === "fulfilled")) break;
    }
    const events = await repo.listDropEvents(db, drop.id);
    expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i + 1));
    const created = events.filter((e) => e.type === "order.created").map((e) => e.orderId);
    expect(created).toHaveLength(120);
    expect(new Set(created).size).toBe(120);
  });

  it_(
    "control: two stampers without the guard pick the same position (only the unique key stops them)",
    async () => {
      const drop = await soldDrop(2);
      await db.query(
        `INSERT INTO events (drop_id, type, order_id, unit_no, data)
       SELECT drop_id, 'order.created', id, unit_no, '{}' FROM orders WHERE drop_id = $1::uuid`,
        [drop.id],
      );
      // Unguarded: each reads the next position, then stamps its event with it. Both read before either writes.
      const next = () =>
        db.query<{ next: string }>(
          "SELECT coalesce(max(position), 0) + 1 AS next FROM events WHERE drop_id = $1::uuid",
          [drop.id],
        );
      const [a, b] = await Promise.all([next(), next()]);
      expect(a.rows[0]!.next).toBe(b.rows[0]!.next);
      const { rows: ids } = await db.query<{ id: string }>("SELECT id FROM events WHERE drop_id = $1::uuid", [
        drop.id,
      ]);
      const stamp = (id: string, position: string) =>
        db.query("UPDATE events SET position = $2::bigint WHERE id = $1::uuid", [id, position]);
      await stamp(ids[0]!.id, a.rows[0]!.next);
      await expect(stamp(ids[1]!.id, b.rows[0]!.next)).rejects.toMatchObject({ code: "23505" });
    },
  );
});
