import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import type { DeliverySchedule } from "../src/domain/messages/schedule";
import * as repo from "../src/repository";
import { isoFromNow } from "./support/clock";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { buy, createDrop, createSeller, json } from "./support/shop-fixtures";
import { eventually, startReceiver } from "./support/webhook-receiver";

/** The outbox and seller webhooks (issue 16 §1-2), on every backend, against a real HTTP receiver. */

/** Retries in milliseconds, so a test sees a whole schedule run. */
const FAST: DeliverySchedule = {
  retryDelaysMs: [5, 5, 5, 5, 5, 5, 5, 5],
  disableAfterMs: 3 * 24 * 3_600_000,
  requestTimeoutMs: 2000,
  leaseMs: 5000,
};

type Payload = { type: string; timestamp: string; data: Record<string, unknown> };

describe.each(ALL_BACKENDS)("webhooks on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let key: string;
  const it_ = isAvailable(backend) ? it : it.skip;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    app = createApp({ db, logError: () => undefined, messages: { allowPrivate: true, schedule: FAST } });
    key = (await createSeller(app)).apiKey;
  });
  afterAll(async () => db?.close());

  const owner = (apiKey = key) => ({ authorization: `Bearer ${apiKey}` });
  async function addEndpoint(url: string, events?: string[], apiKey = key) {
    const res = await app.request(
      "/api/webhooks",
      json({ url, ...(events ? { events } : {}) }, owner(apiKey)),
    );
    expect(res.status).toBe(201);
    return (await res.json()) as {
      endpoint: { id: string; url: string; events: string[] | null };
      secret: string;
    };
  }
  /** Ticks the dispatcher until `done` holds: retries are due a few ms later, so idle ticks wait a little. */
  async function dispatchUntil(done: () => boolean) {
    await eventually(async () => {
      await app.messages.dispatcher.tick();
      return done();
    });
  }
  const ofDrop = (payloads: Payload[], dropId: string) => payloads.filter((p) => p.data.dropId === dropId);

  it_("tells a receiver every event of a drop, signed, once each, in a gap-free per-drop order", async () => {
    // A fresh seller, so this endpoint hears only this test's drop.
    const seller = await createSeller(app);
    const receiver = await startReceiver();
    const { secret } = await addEndpoint(receiver.url, undefined, seller.apiKey);
    const drop = await createDrop(app, seller.apiKey, { quantity: 12, maxPerFan: 1 });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => buy(app, drop.id, `fan${i}@example.com`)),
    );
    const won = answers.filter((a) => a.status === 201).map((a) => a.body.order!.id);
    expect(won).toHaveLength(12);
    await dispatchUntil(() => receiver.accepted().some((p) => p.type === "drop.sold_out"));
    const paused = await app.request(`/api/drops/${drop.id}/pause`, {
      method: "POST",
      headers: owner(seller.apiKey),
    });
    expect(paused.status).toBe(200);
    await app.request(`/api/drops/${drop.id}/pause`, { method: "POST", headers: owner(seller.apiKey) }); // no change: no event
    await app.request(`/api/drops/${drop.id}/resume`, { method: "POST", headers: owner(seller.apiKey) });
    await dispatchUntil(() => receiver.accepted().some((p) => p.type === "drop.resumed"));

    for (const request of receiver.received) {
      expect(() => new Webhook(secret).verify(request.body, request.headers)).not.toThrow();
    }
    const events = ofDrop(receiver.accepted(), drop.id).sort(
      (a, b) => Number(a.data.position) - Number(b.data.position),
    );
    expect(events.map((e) => e.data.position)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.type)).toEqual([
      "drop.live",
      ...won.map(() => "order.created"),
      "drop.sold_out",
      "drop.paused",
      "drop.resumed",
    ]);
    const created = events.filter((e) => e.type === "order.created");
    expect(new Set(created.map((e) => e.data.orderId))).toEqual(new Set(won));
    const { rows } = await db.query<{ id: string; unit_no: number }>(
      "SELECT id, unit_no FROM orders WHERE drop_id = $1::uuid",
      [drop.id],
    );
    const units = new Map(rows.map((row) => [row.id, row.unit_no]));
    for (const event of created) expect(event.data.unitNo).toBe(units.get(String(event.data.orderId)));
    await receiver.close();
  });

  it_("records no event for a change that did not happen (a refused cancel of a live drop)", async () => {
    const drop = await createDrop(app, key, { quantity: 3 });
    const res = await app.request(`/api/drops/${drop.id}/cancel`, { method: "POST", headers: owner() });
    expect(res.status).toBe(409);
    const { rows } = await db.query(
      "SELECT 1 FROM events WHERE drop_id = $1::uuid AND type = 'drop.cancelled'",
      [drop.id],
    );
    expect(rows).toHaveLength(0);
    const upcoming = await createDrop(app, key, { quantity: 3, startsAt: isoFromNow(3_600_000) });
    expect(
      (await app.request(`/api/drops/${upcoming.id}/cancel`, { method: "POST", headers: owner() })).status,
    ).toBe(200);
    await app.request(`/api/drops/${upcoming.id}/cancel`, { method: "POST", headers: owner() }); // twice: one event
    const cancelled = await db.query(
      "SELECT 1 FROM events WHERE drop_id = $1::uuid AND type = 'drop.cancelled'",
      [upcoming.id],
    );
    expect(cancelled.rows).toHaveLength(1);
  });

  it_(
    "retries a failing receiver with backoff until it answers 2xx, and disables an endpoint on 410",
    async () => {
      const seller = await createSeller(app);
      // Fails the first three requests, then accepts.
      const receiver = await startReceiver((_, index) => (index < 3 ? 500 : 200));
      const { endpoint } = await addEndpoint(receiver.url, ["order.created"], seller.apiKey);
      const drop = await createDrop(app, seller.apiKey, { quantity: 1 });
      expect((await buy(app, drop.id, "one@example.com")).status).toBe(201);
      await dispatchUntil(() => receiver.accepted().length === 1);
      expect(receiver.received.map((r) => r.status)).toEqual([500, 500, 500, 200]);
      const log = await app.request(`/api/webhooks/${endpoint.id}/deliveries`, {
        headers: owner(seller.apiKey),
      });
      const { deliveries } = (await log.json()) as {
        deliveries: { status: string; attempts: number; lastStatus: number }[];
      };
      expect(deliveries).toMatchObject([{ status: "delivered", attempts: 4, lastStatus: 200 }]);
      await receiver.close();

      const gone = await startReceiver(() => 410);
      const goneEndpoint = (await addEndpoint(gone.url, ["order.created"], seller.apiKey)).endpoint;
      const second = await createDrop(app, seller.apiKey, { quantity: 1 });
      expect((await buy(app, second.id, "two@example.com")).status).toBe(201);
      await dispatchUntil(() => gone.received.length === 1);
      await app.messages.dispatcher.runUntilIdle();
      const listed = await app.request("/api/webhooks", { headers: owner(seller.apiKey) });
      const { endpoints } = (await listed.json()) as {
        endpoints: { id: string; disabledReason: string | null }[];
      };
      expect(endpoints.find((e) => e.id === goneEndpoint.id)?.disabledReason).toMatch(/410/);
      expect(gone.received).toHaveLength(1);
      await gone.close();
    },
  );

  it_("sends again what a process killed mid-send left leased, once its lease runs out", async () => {
    const seller = await createSeller(app);
    const receiver = await startReceiver();
    await addEndpoint(receiver.url, ["order.created"], seller.apiKey);
    const drop = await createDrop(app, seller.apiKey, { quantity: 1 });
    expect((await buy(app, drop.id, "kill@example.com")).status).toBe(201);
    await app.messages.dispatcher.sequence();
    // The "killed" process leased everything due for a short lease and never came back.
    const leased = await repo.leaseDueDeliveries(db, "killed-process", 1000, 300);
    expect(leased.length).toBeGreaterThan(0);
    await app.messages.dispatcher.deliverDue();
    expect(receiver.received).toHaveLength(0); // still leased: nobody else sends it meanwhile
    await dispatchUntil(() => receiver.accepted().length === 1);
    // The dead owner's late report changes nothing.
    expect(await repo.finishAttempt(db, leased[0]!.id, "killed-process", { status: "delivered" })).toBe(
      false,
    );
    await receiver.close();
  });

  it_(
    "manages endpoints over the API: list, test ping, rotate (both secrets verify), replay, delete",
    async () => {
      const receiver = await startReceiver();
      const { endpoint, secret } = await addEndpoint(receiver.url, ["drop.paused"]);
      expect(secret).toMatch(/^whsec_/);
      expect(endpoint.events).toEqual(["drop.paused"]);
      const list = (await (await app.request("/api/webhooks", { headers: owner() })).json()) as {
        endpoints: { id: string }[];
      };
      expect(list.endpoints.map((e) => e.id)).toContain(endpoint.id);
      expect(JSON.stringify(list)).not.toContain(secret);

      const ping = await app.request(`/api/webhooks/${endpoint.id}/test`, {
        method: "POST",
        headers: owner(),
      });
      expect(ping.status).toBe(200);
      const pinged = (await ping.json()) as {
        delivery: { id: string; status: string; lastStatus: number; type: string };
      };
      expect(pinged.delivery).toMatchObject({ status: "delivered", lastStatus: 200, type: "ping" });
      expect(JSON.parse(receiver.received[0]!.body).type).toBe("ping");

      const rotated = await app.request(`/api/webhooks/${endpoint.id}/rotate`, {
        method: "POST",
        headers: owner(),
      });
      const { secret: newSecret } = (await rotated.json()) as { secret: string };
      expect(newSecret).not.toBe(secret);
      await app.request(`/api/webhooks/${endpoint.id}/test`, { method: "POST", headers: owner() });
      const afterRotation = receiver.received[1]!;
      expect(afterRotation.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
      expect(() => new Webhook(secret).verify(afterRotation.body, afterRotation.headers)).not.toThrow();
      expect(() => new Webhook(newSecret).verify(afterRotation.body, afterRotation.headers)).not.toThrow();

      const replay = await app.request(
        `/api/webhooks/${endpoint.id}/deliveries/${pinged.delivery.id}/replay`,
        {
          method: "POST",
          headers: owner(),
        },
      );
      expect(replay.status).toBe(202);
      await dispatchUntil(() => receiver.received.length === 3);
      expect(receiver.received[2]!.headers["webhook-id"]).toBe(receiver.received[0]!.headers["webhook-id"]);

      const other = await createSeller(app);
      expect(
        (await app.request(`/api/webhooks/${endpoint.id}/deliveries`, { headers: owner(other.apiKey) }))
          .status,
      ).toBe(404);
      expect(
        (await app.request(`/api/webhooks/${endpoint.id}`, { method: "DELETE", headers: owner() })).status,
      ).toBe(204);
      expect(
        (await app.request(`/api/webhooks/${endpoint.id}`, { method: "DELETE", headers: owner() })).status,
      ).toBe(404);
      await receiver.close();
    },
  );

  it_("refuses bad endpoint input with a reason", async () => {
    const bad = async (body: unknown) => {
      const res = await app.request("/api/webhooks", json(body, owner()));
      return { status: res.status, body: (await res.json()) as { error: { issues: { path: string }[] } } };
    };
    expect((await bad({ url: "ftp://example.com/x" })).status).toBe(400);
    expect((await bad({ url: "not a url" })).body.error.issues[0]!.path).toBe("url");
    expect((await bad({ url: "https://example.com", events: ["order.exploded"] })).status).toBe(400);
    expect((await bad({ url: "https://example.com", events: [] })).status).toBe(400);
    expect((await app.request("/api/webhooks", json({ url: "https://example.com" }))).status).toBe(401);
  });

  it_("records the checkout's events: held, paid, released, expired", async () => {
    const seller = await createSeller(app);
    const drop = await createDrop(app, seller.apiKey, { quantity: 5, holdMinutes: 1, maxPerFan: 2 });
    const held = await app.request(`/api/drops/${drop.id}/purchase`, json({ fan: "held@example.com" }));
    expect(held.status).toBe(201);
    const answer = (await held.json()) as { order: { id: string }; orderToken: string };
    const paid = await app.request(
      `/api/orders/${answer.order.id}/pay`,
      json({ card: "4242424242424242" }, { authorization: `Bearer ${answer.orderToken}` }),
    );
    expect(paid.status).toBe(200);
    await app.messages.dispatcher.sequence();
    const events = await repo.listDropEvents(db, drop.id);
    expect(events.map((e) => e.type)).toEqual(["drop.live", "order.created", "order.held", "order.paid"]);
    expect(events.every((e) => e.orderId === null || e.orderId === answer.order.id)).toBe(true);

    const hold = async (fan: string) => {
      const res = await app.request(`/api/drops/${drop.id}/purchase`, json({ fan }));
      return (await res.json()) as { order: { id: string }; orderToken: string };
    };
    const released = await hold("release@example.com");
    const releasing = await app.request(`/api/orders/${released.order.id}/release`, {
      method: "POST",
      headers: { authorization: `Bearer ${released.orderToken}` },
    });
    expect(releasing.status).toBe(200);
    const lapsing = await hold("lapse@example.com");
    // The hold runs out: its expiry is moved into the past rather than waiting a minute for it.
    await db.query("UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = $1::uuid", [
      lapsing.order.id,
    ]);
    await app.shop.checkout.sweep();
    await app.messages.dispatcher.sequence();
    const later = (await repo.listDropEvents(db, drop.id)).slice(4);
    const byOrder = (orderId: string) => later.filter((e) => e.orderId === orderId).map((e) => e.type);
    expect(byOrder(released.order.id)).toEqual(["order.created", "order.held", "order.released"]);
    expect(byOrder(lapsing.order.id)).toEqual(["order.created", "order.held", "order.expired"]);
    expect(later.map((e) => e.position)).toEqual(later.map((_, i) => i + 5));
  });
});
