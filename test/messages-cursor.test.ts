import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import * as repo from "../src/repository";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { buy, createDrop, createSeller } from "./support/shop-fixtures";

/**
 * The sequencer's cursors (repository/messages/events.ts): a pass reads only orders at or after the newest
 * copied (`orders_through`), a sweep reads everything after `settled_through`. An order whose transaction began
 * before the newest copied order but committed after it (orders commit out of `created_at` order) is not in
 * the cursor's range: the sweep must still announce it, exactly once. An idle drop, once swept past its last
 * order, is not passed over at all.
 */
describe.each(ALL_BACKENDS)("the sequencer's cursor on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  const it_ = isAvailable(backend) ? it : it.skip;
  const noFanOut = async () => undefined;
  /** A sweep is never "not due yet" here: every pass whose sweep cursor trails sweeps. */
  const SWEEP_ALWAYS = 0;
  /** A sweep is due only after an hour: passes read the cursor's range alone. */
  const SWEEP_NEVER = 3_600_000;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend, { poolSize: 4 });
    app = createApp({ db, logError: () => undefined });
  });
  afterAll(async () => db?.close());

  async function createdIds(dropId: string): Promise<string[]> {
    const { rows } = await db.query<{ order_id: string }>(
      "SELECT order_id FROM events WHERE drop_id = $1::uuid AND type = 'order.created'",
      [dropId],
    );
    return rows.map((row) => row.order_id);
  }

  async function passesUntilIdle(dropId: string, settleEveryMs: number): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const pass = await repo.sequenceDrop(db, dropId, 150, noFanOut, settleEveryMs);
      if (!pass.more && pass.stamped.length === 0) return;
    }
  }

  /**
   * What a late commit leaves behind: an order whose created_at (its transaction's start) is older than the
   * newest order the log already holds. Written directly, so the same state is reached on every backend.
   */
  async function lateOrder(dropId: string, unitNo: number): Promise<string> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO orders (drop_id, unit_no, fan, fan_slot, price_cents, attempts, idempotency_key, created_at)
       SELECT $1::uuid, $2::int, 'late-fan', 1, 2500, 1, 'late-' || $2::text,
              (SELECT orders_through FROM event_sequences WHERE drop_id = $1::uuid) - interval '2 seconds'
       RETURNING id`,
      [dropId, unitNo],
    );
    return rows[0]!.id;
  }

  it_("a pass reads past the cursor only; the sweep announces a late-committed order, once", async () => {
    const { apiKey } = await createSeller(app);
    const drop = await createDrop(app, apiKey, { quantity: 50, maxPerFan: 1 });
    for (let i = 0; i < 3; i++) expect((await buy(app, drop.id, `early${i}`)).status).toBe(201);
    await passesUntilIdle(drop.id, SWEEP_NEVER);
    expect(await createdIds(drop.id)).toHaveLength(3);

    const late = await lateOrder(drop.id, 40);
    expect((await buy(app, drop.id, "after")).status).toBe(201);
    await passesUntilIdle(drop.id, SWEEP_NEVER);
    // The order after the cursor is in; the late one is behind the cursor, so only a sweep can find it.
    expect(await createdIds(drop.id)).toHaveLength(4);
    expect(await createdIds(drop.id)).not.toContain(late);
    // The drop is still chosen for work: its sweep cursor trails its newest order.
    expect(await repo.dropsToSequence(db, 1000, SWEEP_ALWAYS)).toContain(drop.id);

    const pass = await repo.sequenceDrop(db, drop.id, 150, noFanOut, SWEEP_ALWAYS);
    expect(pass.swept).toBe(true);
    await passesUntilIdle(drop.id, SWEEP_ALWAYS);
    const ids = await createdIds(drop.id);
    expect(ids).toContain(late);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    const events = await repo.listDropEvents(db, drop.id);
    expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i + 1));
  });

  it_("an idle drop swept past its last order is not passed over again", async () => {
    const { apiKey } = await createSeller(app);
    const drop = await createDrop(app, apiKey, { quantity: 50, maxPerFan: 1 });
    for (let i = 0; i < 2; i++) expect((await buy(app, drop.id, `idle${i}`)).status).toBe(201);
    await passesUntilIdle(drop.id, SWEEP_NEVER);
    // While a purchase could still commit behind the cursor the drop keeps being swept (when due) ...
    expect(await repo.dropsToSequence(db, 1000, SWEEP_ALWAYS)).toContain(drop.id);
    expect(await repo.dropsToSequence(db, 1000, SWEEP_NEVER)).not.toContain(drop.id);
    // ... and once its orders are older than any transaction can live, one sweep settles it for good.
    await db.query("UPDATE orders SET created_at = created_at - interval '1 hour' WHERE drop_id = $1::uuid", [
      drop.id,
    ]);
    await db.query(
      `UPDATE event_sequences SET orders_through = orders_through - interval '1 hour',
         settled_through = NULL, settled_at = NULL
       WHERE drop_id = $1::uuid`,
      [drop.id],
    );
    await passesUntilIdle(drop.id, SWEEP_ALWAYS);
    expect(await repo.dropsToSequence(db, 1000, SWEEP_ALWAYS)).not.toContain(drop.id);
    expect(await createdIds(drop.id)).toHaveLength(2);
    // A new order wakes it up again.
    expect((await buy(app, drop.id, "wakes")).status).toBe(201);
    expect(await repo.dropsToSequence(db, 1000, SWEEP_NEVER)).toContain(drop.id);
  });
});

/**
 * The same late commit for real, on PostgreSQL: a transaction inserts an order, stays open while a later
 * purchase is copied into the log (so the cursor passes the open transaction's start), then commits.
 */
describe.each(ALL_BACKENDS.filter((b) => b.startsWith("postgres")))("a real late commit on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  const it_ = isAvailable(backend) ? it : it.skip;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend, { poolSize: 6 });
    app = createApp({ db, logError: () => undefined });
  });
  afterAll(async () => db?.close());

  it_("is announced once the transaction commits, though the cursor had passed it", async () => {
    const { apiKey } = await createSeller(app);
    const drop = await createDrop(app, apiKey, { quantity: 50, maxPerFan: 1 });
    expect((await buy(app, drop.id, "first")).status).toBe(201);
    const dispatcher = app.messages.dispatcher;
    await dispatcher.runUntilIdle();

    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inserted!: () => void;
    const insertedNow = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const slow = db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO orders (drop_id, unit_no, fan, fan_slot, price_cents, attempts, idempotency_key)
           VALUES ($1::uuid, 45, 'slow-fan', 1, 2500, 1, 'slow') RETURNING id`,
        [drop.id],
      );
      inserted();
      await gate;
      return rows[0]!.id;
    });
    await insertedNow;
    expect((await buy(app, drop.id, "overtakes")).status).toBe(201);
    await dispatcher.runUntilIdle();
    const { rows: cursor } = await db.query<{ passed: boolean }>(
      `SELECT s.orders_through >= (SELECT created_at FROM orders
                                     WHERE drop_id = $1::uuid AND coalesce(fan_shown, fan) = 'overtakes') AS passed
         FROM event_sequences s WHERE s.drop_id = $1::uuid`,
      [drop.id],
    );
    expect(cursor[0]!.passed).toBe(true);
    release();
    const slowId = await slow;

    // Ticks until the sweep (due every few seconds) has found it; no sleeping on a guess.
    const { createDispatcher } = await import("../src/domain/messages/dispatcher");
    const sweeping = createDispatcher({
      db,
      mailer: { mode: "mailbox", send: async () => undefined, close: () => undefined },
      log: { warn: () => undefined } as never,
      links: { receipt: async () => "http://x/", unsubscribe: async () => "http://x/" },
      allowPrivate: false,
      settleEveryMs: 0,
    });
    await sweeping.runUntilIdle();
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM events WHERE drop_id = $1::uuid AND type = 'order.created' AND order_id = $2::uuid",
      [drop.id, slowId],
    );
    expect(rows[0]!.n).toBe(1);
    const events = await repo.listDropEvents(db, drop.id);
    expect(events.filter((e) => e.type === "order.created")).toHaveLength(3);
    expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i + 1));
  });
});

/**
 * While the process is selling, the dispatcher yields: it does not tick (up to `busyEveryMs`), and once the
 * selling stops it announces what was sold. Driven by the `purchasing` signal itself, so no clock is read.
 */
describe("the dispatcher while the process sells", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    app = createApp({ db, logError: () => undefined });
  });
  afterAll(async () => db?.close());

  it("leaves the log alone while purchases run, then catches up", async () => {
    const { apiKey } = await createSeller(app);
    const drop = await createDrop(app, apiKey, { quantity: 5, maxPerFan: 1 });
    for (let i = 0; i < 3; i++) expect((await buy(app, drop.id, `busy${i}`)).status).toBe(201);
    let selling = true;
    let asked = 0;
    const { createDispatcher } = await import("../src/domain/messages/dispatcher");
    const dispatcher = createDispatcher({
      db,
      mailer: { mode: "mailbox", send: async () => undefined, close: () => undefined },
      log: { warn: () => undefined } as never,
      links: { receipt: async () => "http://x/", unsubscribe: async () => "http://x/" },
      allowPrivate: false,
      purchasing: () => {
        asked++;
        return selling;
      },
      busyEveryMs: 3_600_000,
    });
    const loop = dispatcher.start(20);
    try {
      const until = async (done: () => Promise<boolean> | boolean) => {
        for (let i = 0; i < 3000 && !(await done()); i++) await new Promise((r) => setTimeout(r, 20));
      };
      await until(() => asked >= 10);
      expect(asked).toBeGreaterThanOrEqual(10);
      // Ten looks while selling, and not one pass: the drop has no events yet.
      expect(await repo.listDropEvents(db, drop.id)).toEqual([]);
      selling = false;
      const created = async () =>
        (await repo.listDropEvents(db, drop.id)).filter((e) => e.type === "order.created").length;
      await until(async () => (await created()) === 3);
      expect(await created()).toBe(3);
    } finally {
      loop.stop();
    }
  });
});
