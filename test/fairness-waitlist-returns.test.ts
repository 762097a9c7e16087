/**
 * Issue 17 §2-§3, how a fan is told: a unit that comes back through a seller's refund (hold drop) or cancel
 * (instant drop) goes to the first fan on the waitlist as an offer, the next fan stays in line, and the
 * offered fan hears of it by email (a real SMTP receiver) while the seller's endpoint receives a signed
 * `waitlist.offered` (a real HTTP receiver); a draw's winner likewise makes a `draw.won`. The other proofs
 * count these events in the database; this one follows them out of the outbox.
 */
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import type { DeliverySchedule } from "../src/domain/messages/schedule";
import { HOUR_MS, isoFromNow } from "./support/clock";
import { TEST_RETRY_POLICY } from "./support/contention";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { createDrop, createSeller, json } from "./support/shop-fixtures";
import { startSmtpReceiver } from "./support/smtp-receiver";
import { eventually, startReceiver } from "./support/webhook-receiver";

const FAST: DeliverySchedule = {
  retryDelaysMs: [5, 5, 5, 5],
  disableAfterMs: 3 * 24 * 3_600_000,
  requestTimeoutMs: 2000,
  leaseMs: 5000,
};

interface Answer {
  order?: { id: string };
  orderToken?: string;
  position?: number | null;
  status?: string;
  expiresAt?: string;
  orderId?: string;
  error?: { code: string };
}

describe.each(ALL_BACKENDS)("a returned unit's offer, told, on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  let hooks: Awaited<ReturnType<typeof startReceiver>>;
  let signing: Webhook;
  const it_ = isAvailable(backend) ? it : it.skip;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    smtp = await startSmtpReceiver();
    hooks = await startReceiver();
    db = await openTestDatabase(backend);
    app = createApp({
      db,
      retryPolicy: TEST_RETRY_POLICY,
      messages: { smtp: { url: smtp.url, from: "shop@example.com" }, allowPrivate: true, schedule: FAST },
      logError: (e) => console.error(e),
    });
    ({ apiKey } = await createSeller(app));
    const added = await app.request(
      "/api/webhooks",
      json({ url: hooks.url, events: ["waitlist.offered", "draw.won"] }, seller()),
    );
    expect(added.status).toBe(201);
    signing = new Webhook(((await added.json()) as { secret: string }).secret);
  }, 120_000);
  afterAll(async () => {
    app?.messages.mailer.close();
    await smtp?.close();
    await hooks?.close();
    await db?.close();
  });

  const seller = () => ({ authorization: `Bearer ${apiKey}` });
  const call = async (path: string, init?: RequestInit) => {
    const res = await app.request(path, init);
    return { status: res.status, body: (res.status === 204 ? {} : await res.json()) as Answer };
  };
  const post = (path: string, body: unknown = {}, headers: Record<string, string> = {}) =>
    call(path, json(body, headers));
  /** Runs the outbox until `done` holds. */
  const dispatchUntil = (done: () => boolean) =>
    eventually(async () => {
      await app.messages.dispatcher.tick();
      return done();
    });
  /** The webhooks of `type` the receiver accepted for `dropId`, each signature checked. */
  const hooksOf = (type: string, dropId: string) =>
    hooks.received
      .filter((r) => r.status === 200)
      .map((r) => signing.verify(r.body, r.headers) as { type: string; data: Record<string, unknown> })
      .filter((p) => p.type === type && p.data.dropId === dropId);
  const mailTo = (to: string, subject: RegExp) =>
    smtp.accepted.filter((m) => m.to === to && subject.test(m.subject));
  /** How long an offer's hold is, on the database's clock (from the order's creation to its expiry). */
  const holdOf = async (orderId: string) =>
    (
      await db.query<{ seconds: number }>(
        "SELECT extract(epoch FROM expires_at - created_at)::int AS seconds FROM orders WHERE id = $1::uuid",
        [orderId],
      )
    ).rows[0]!.seconds;

  it_("a refund's unit is offered to the first fan in line, who is told by email and webhook", async () => {
    const drop = await createDrop(app, apiKey, { title: "Refund returns", quantity: 1, holdMinutes: 5 });
    const bought = await post(`/api/drops/${drop.id}/purchase`, { fan: "buyer@fans.test" });
    expect(bought.status).toBe(201);
    const paid = await post(
      `/api/orders/${bought.body.order!.id}/pay`,
      { card: "4242424242424242" },
      { authorization: `Bearer ${bought.body.orderToken}` },
    );
    expect(paid.status).toBe(200);
    for (const [i, fan] of ["first@fans.test", "second@fans.test"].entries()) {
      expect(await post(`/api/drops/${drop.id}/waitlist`, { fan })).toMatchObject({
        status: 201,
        body: { position: i + 1 },
      });
    }

    const refunded = await post(`/api/orders/${bought.body.order!.id}/refund`, {}, seller());
    expect(refunded.status).toBe(200);
    const first = await call(`/api/drops/${drop.id}/waitlist/me?fan=first@fans.test`);
    expect(first.body).toMatchObject({ status: "offered", unitNo: 1 });
    // The drop's own hold: 5 minutes.
    expect(await holdOf(first.body.orderId!)).toBe(300);
    expect((await call(`/api/drops/${drop.id}/waitlist/me?fan=second@fans.test`)).body).toEqual({
      status: "waiting",
      position: 1,
    });

    await dispatchUntil(
      () =>
        hooksOf("waitlist.offered", drop.id).length === 1 &&
        mailTo("first@fans.test", /held for you/).length === 1,
    );
    expect(hooksOf("waitlist.offered", drop.id)[0]!.data).toMatchObject({
      orderId: first.body.orderId,
      unitNo: 1,
      fan: "first@fans.test",
      holdSeconds: 300,
    });
    expect(mailTo("second@fans.test", /./)).toEqual([]);
  });

  it_("a seller's cancel on an instant drop offers the unit for 10 minutes, to claim", async () => {
    const drop = await createDrop(app, apiKey, { title: "Cancel returns", quantity: 1 });
    const bought = await post(`/api/drops/${drop.id}/purchase`, { fan: "keeper@fans.test" });
    expect(bought.status).toBe(201);
    expect(await post(`/api/drops/${drop.id}/waitlist`, { fan: "next@fans.test" })).toMatchObject({
      status: 201,
      body: { position: 1 },
    });
    expect((await post(`/api/orders/${bought.body.order!.id}/cancel`, {}, seller())).status).toBe(200);
    const offer = await call(`/api/drops/${drop.id}/waitlist/me?fan=next@fans.test`);
    expect(offer.body).toMatchObject({ status: "offered", unitNo: 1 });
    expect(await holdOf(offer.body.orderId!)).toBe(600);

    await dispatchUntil(
      () =>
        hooksOf("waitlist.offered", drop.id).length === 1 &&
        mailTo("next@fans.test", /yours to claim/).length === 1,
    );
    expect(hooksOf("waitlist.offered", drop.id)[0]!.data).toMatchObject({
      fan: "next@fans.test",
      holdSeconds: 600,
    });
  });

  it_("a verified drop's waitlist takes the Fan-Token's address, never a fan in the body", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 1, holdMinutes: 5, verifiedFans: true });
    const email = "proven@fans.test";
    expect((await post("/api/fans/codes", { email })).status).toBe(202);
    await app.fans.settled();
    await eventually(() => mailTo(email, /\d{6}/).length === 1);
    const code = /\b(\d{6})\b/.exec(mailTo(email, /\d{6}/)[0]!.subject)![1]!;
    const session = (await (await app.request("/api/fans/sessions", json({ email, code }))).json()) as {
      fanToken: string;
    };
    const asFan = { "fan-token": session.fanToken };
    // Sold out (its one unit held by another proven fan).
    const other = await app.shop.purchase(drop.id, {
      fan: "holder@fans.test",
      verified: { email: "holder@fans.test" },
    });
    expect(other.order.unitNo).toBe(1);

    expect(await post(`/api/drops/${drop.id}/waitlist`, { fan: email })).toMatchObject({
      status: 401,
      body: { error: { code: "fan_unverified" } },
    });
    expect(await post(`/api/drops/${drop.id}/waitlist`, { fan: "someone-else" }, asFan)).toMatchObject({
      status: 201,
      body: { position: 1 },
    });
    expect((await call(`/api/drops/${drop.id}/waitlist/me`, { headers: asFan })).body).toEqual({
      status: "waiting",
      position: 1,
    });
    const { rows } = await db.query<{ fan_shown: string }>(
      "SELECT fan_shown FROM offer_queue WHERE drop_id = $1::uuid",
      [drop.id],
    );
    expect(rows).toEqual([{ fan_shown: email }]);
    expect((await call(`/api/drops/${drop.id}/waitlist`, { method: "DELETE", headers: asFan })).status).toBe(
      204,
    );
  });

  it_("a draw's winner makes a signed draw.won", async () => {
    const created = await post(
      "/api/drops",
      {
        title: "Draw told",
        priceCents: 1000,
        quantity: 1,
        sale: "draw",
        holdMinutes: 5,
        verifiedFans: true,
        entriesCloseAt: isoFromNow(HOUR_MS),
      },
      seller(),
    );
    expect(created.status).toBe(201);
    const dropId = (created.body as { drop?: { id: string } }).drop!.id;
    // The entry route names the fan from the Fan-Token (fairness-draw-api); here the domain call it makes.
    const { entry } = await app.shop.fairness.enter(dropId, "lucky@fans.test");
    await db.query(
      "UPDATE draws SET entries_close_at = now() - interval '1 minute' WHERE drop_id = $1::uuid",
      [dropId],
    );
    expect(await app.shop.fairness.runDraw(dropId)).toBe(true);
    await dispatchUntil(() => hooksOf("draw.won", dropId).length === 1);
    expect(hooksOf("draw.won", dropId)[0]!.data).toMatchObject({
      fan: "lucky@fans.test",
      entryId: entry.id,
      unitNo: 1,
    });
  });
});
