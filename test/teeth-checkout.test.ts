import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { createCheckout, HOLD_SOLD_OUT_MS } from "../src/domain/checkout/checkout";
import { TEST_CARDS, TestPaymentProvider } from "../src/domain/checkout/payments";
import {
  Cancelled,
  DrawOnly,
  HoldExpired,
  LimitReached,
  NotFound,
  NotLive,
  OrderNotPayable,
  OrdersModeChanged,
  SoldOut,
} from "../src/domain/errors";
import { requestFingerprint } from "../src/domain/purchase/purchase";
import * as repo from "../src/repository";
import { DAY_MS, HOUR_MS, isoFromNow, testClock } from "./support/clock";
import { TEST_RETRY_POLICY } from "./support/contention";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { NotifyingProvider } from "./support/notifying-provider";
import { createDrop, createSeller } from "./support/shop-fixtures";

/**
 * Issue 21 §3: the checkout domain code (src/domain/checkout/checkout.ts) under mutation testing. Each test
 * names the guard it holds; they drive `shop.checkout` (and, for the provider wiring, a checkout built with
 * createCheckout) through its public functions, on a clock the test moves by hand, so the process's own
 * beliefs (how long "sold out" is believed, how often a purchase sweeps its drop) are tested at their edges.
 * Expiry is decided by the database clock: a hold is made to run out by moving its expiry into the past.
 */

describe.each(ALL_BACKENDS)("checkout's own guards on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;
  /** The app's clock: moved by the tests, never by time passing. */
  let now = testClock();
  const payments = new NotifyingProvider();

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    app = createApp({
      db,
      payments,
      retryPolicy: TEST_RETRY_POLICY,
      clock: () => now,
      logError: (e) => console.error(e),
    });
    ({ apiKey } = await createSeller(app));
  });
  afterAll(async () => db?.close());

  const it_ = isAvailable(backend) ? it : it.skip;
  const checkout = () => app.shop.checkout;

  const holdDrop = async (overrides: Record<string, unknown> = {}) =>
    app.shop.findDrop((await createDrop(app, apiKey, { quantity: 1, holdMinutes: 10, ...overrides })).id);
  const refusal = (work: Promise<unknown>) =>
    work.then(
      () => undefined,
      (error: unknown) => error,
    );
  /** The hold runs out on the database clock (which decides expiry); nothing in this process is told. */
  const expire = (orderId: string) =>
    db.query("UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = $1::uuid", [orderId]);
  /** A unit comes back in another process (its release): this process's belief is not told. */
  const releaseElsewhere = (orderId: string) => repo.releaseHold(db, orderId);

  it_(
    "sold out is believed for exactly HOLD_SOLD_OUT_MS on the app's clock, for that drop only; a key skips it",
    async () => {
      const drop = await holdDrop({ quantity: 2, maxPerFan: 1 });
      const other = await holdDrop();
      now = testClock();
      const t = now;
      const a = await checkout().purchase(drop, { fan: "a@fans.test" });
      const b = await checkout().purchase(drop, { fan: "b@fans.test" });
      expect(checkout().isSoldOut(drop.id)).toBe(false);
      expect(await refusal(checkout().purchase(drop, { fan: "c@fans.test" }))).toBeInstanceOf(SoldOut);
      expect(checkout().isSoldOut(drop.id)).toBe(true);
      expect(checkout().isSoldOut(other.id)).toBe(false);
      // Another drop's belief is its own: believing it does not forget this one.
      await checkout().purchase(other, { fan: "a@fans.test" });
      expect(await refusal(checkout().purchase(other, { fan: "b@fans.test" }))).toBeInstanceOf(SoldOut);
      expect(checkout().isSoldOut(other.id)).toBe(true);
      expect(checkout().isSoldOut(drop.id)).toBe(true);

      // Both units come back elsewhere: the belief holds here until it runs out, on this app's clock alone.
      await releaseElsewhere(a.order.id);
      await releaseElsewhere(b.order.id);
      now = t + HOLD_SOLD_OUT_MS - 1;
      expect(checkout().isSoldOut(drop.id)).toBe(true);
      now = t + HOLD_SOLD_OUT_MS;
      expect(checkout().isSoldOut(drop.id)).toBe(false);
      // The app's clock, not the system's: moved back, the belief is back (a system clock never goes back).
      now = t + HOLD_SOLD_OUT_MS - 1;
      expect(checkout().isSoldOut(drop.id)).toBe(true);

      // While believed, a request without a key is refused at once; one with a key asks the database.
      expect(await refusal(checkout().purchase(drop, { fan: "c@fans.test" }))).toBeInstanceOf(SoldOut);
      const keyed = await checkout().purchase(drop, { fan: "k@fans.test", idempotencyKey: "keyed-retry" });
      expect(keyed.order.status).toBe("held");
      expect(checkout().isSoldOut(drop.id)).toBe(true);
      now = t + HOLD_SOLD_OUT_MS;
      expect((await checkout().purchase(drop, { fan: "c@fans.test" })).order.status).toBe("held");
    },
  );

  it_(
    "a purchase sweeps its drop's expired holds first, at most once per 200 ms of the app's clock",
    async () => {
      const drop = await holdDrop();
      now = testClock();
      const t = now;
      const first = await checkout().purchase(drop, { fan: "first@fans.test" });
      await expire(first.order.id);
      // Another drop's purchase (and sweep) meanwhile does not make this one's pacing forget its last sweep.
      const other = await holdDrop();
      now = t + 1;
      await checkout().purchase(other, { fan: "other@fans.test" });
      // 199 ms later the drop was swept too recently: the expired hold still has the unit.
      now = t + 199;
      const early = refusal(checkout().purchase(drop, { fan: "next@fans.test", idempotencyKey: "early" }));
      expect(await early).toBeInstanceOf(SoldOut);
      // 200 ms after the last sweep, the purchase sweeps again: the unit is free and this fan gets it.
      now = t + 200;
      const next = await checkout().purchase(drop, { fan: "next@fans.test", idempotencyKey: "on-time" });
      expect(next.order.unitNo).toBe(1);
      expect((await repo.findCheckoutOrder(db, first.order.id))?.status).toBe("expired");
    },
  );

  // The loop is this process's code, the same on every backend: PGlite alone runs it (501 holds take a while).
  // The holds are claimed through the repository, so this test covers the sweep alone (mutation runs pick
  // the tests that reach a mutant's code, and this one is slow).
  (backend === "pglite" ? it_ : it.skip)(
    "the periodic sweep ends every expired hold, batch after batch (more than one batch of 500)",
    async () => {
      const drop = await holdDrop({ quantity: 501, maxPerFan: 1 });
      for (let i = 0; i < 501; i++) {
        const fan = `fan-${i}@sweep.test`;
        const outcome = await repo.claimHold(db, {
          dropId: drop.id,
          fan,
          fanShown: fan,
          idempotencyKey: `sweep-${i}`,
          fingerprint: requestFingerprint(drop.id, fan),
          tokenHash: `token-${i}`,
          attemptNumber: 1,
          startBucket: 0,
          startUnit: 1,
        });
        expect(outcome.kind).toBe("placed");
      }
      await db.query(
        "UPDATE orders SET expires_at = now() - interval '1 second' WHERE drop_id = $1::uuid AND status = 'held'",
        [drop.id],
      );
      expect(await checkout().sweep()).toBe(501);
      expect(await checkout().sweep()).toBe(0);
      expect((await repo.readStock(db, drop.id)).remaining).toBe(501);
    },
    600_000,
  );

  it_("the refusals a hold drop's own gate gives when the shop's copy of the drop is stale", async () => {
    // An instant drop reached the hold path (its mode changed after the shop looked it up).
    const instant = await app.shop.findDrop((await createDrop(app, apiKey, { quantity: 1 })).id);
    expect(await refusal(checkout().purchase(instant, { fan: "mode@fans.test" }))).toBeInstanceOf(
      OrdersModeChanged,
    );
    // Not live yet (the shop's copy said live).
    const upcoming = await holdDrop({ startsAt: isoFromNow(DAY_MS) });
    const early = await refusal(checkout().purchase(upcoming, { fan: "early@fans.test" }));
    expect(early).toBeInstanceOf(NotLive);
    expect((early as NotLive).startsAt.getTime()).toBe(upcoming.startsAt.getTime());
    // Cancelled meanwhile.
    const auth = { method: "POST", headers: { authorization: `Bearer ${apiKey}` } };
    expect((await app.request(`/api/drops/${upcoming.id}/cancel`, auth)).status).toBe(200);
    expect(await refusal(checkout().purchase(upcoming, { fan: "late@fans.test" }))).toBeInstanceOf(Cancelled);
    // Deleted meanwhile (or never there): not found, and nothing was written.
    const gone = { ...upcoming, id: randomUUID() };
    const missing = await refusal(checkout().purchase(gone, { fan: "gone@fans.test" }));
    expect(missing).toBeInstanceOf(NotFound);
    expect((missing as NotFound).message).toBe("No such drop.");
    // The fan limit, for contrast: what each of the above would have become without its own check.
    const live = await holdDrop({ quantity: 2, maxPerFan: 1 });
    await checkout().purchase(live, { fan: "limit@fans.test" });
    expect(await refusal(checkout().purchase(live, { fan: "limit@fans.test" }))).toBeInstanceOf(LimitReached);
  });

  it_("an order is found only with its token; an unknown order is 'not found', never an error", async () => {
    const drop = await holdDrop();
    const held = await checkout().purchase(drop, { fan: "token@fans.test" });
    expect((await checkout().order(held.order.id, held.orderToken!)).id).toBe(held.order.id);
    for (const [id, token] of [
      [held.order.id, "not-the-token"],
      [randomUUID(), held.orderToken!],
    ] as const) {
      const error = await refusal(checkout().order(id, token));
      expect(error).toBeInstanceOf(NotFound);
      expect((error as NotFound).message).toBe("No such order.");
    }
    expect((await checkout().findOrder(held.order.id)).id).toBe(held.order.id);
    const missing = await refusal(checkout().findOrder(randomUUID()));
    expect(missing).toBeInstanceOf(NotFound);
    expect((missing as NotFound).message).toBe("No such order.");
  });

  it_(
    "a second step confirmed twice pays once and keeps its money; the second answer is the paid order",
    async () => {
      const drop = await holdDrop();
      const held = await checkout().purchase(drop, { fan: "twice@fans.test" });
      const pending = await checkout().pay(held.order.id, held.orderToken!, {
        card: TEST_CARDS.requiresAction,
      });
      const paymentId = pending.pending!.id;
      const first = await checkout().pay(held.order.id, held.orderToken!, { paymentId });
      expect(first.order.status).toBe("paid");
      const again = await checkout().pay(held.order.id, held.orderToken!, { paymentId });
      expect(again.order).toMatchObject({ status: "paid", paymentRef: paymentId });
      expect(payments.inner.refunded().map((p) => p.id)).not.toContain(paymentId);
      expect(payments.inner.captured().map((p) => p.id)).toContain(paymentId);
      // Another payment's second step after that is refunded: the order is paid, and says so.
      const other = await payments.inner.createPayment(
        { orderId: held.order.id, amountCents: held.order.priceCents, currency: "EUR" },
        { card: TEST_CARDS.requiresAction },
      );
      const late = await refusal(checkout().pay(held.order.id, held.orderToken!, { paymentId: other.id }));
      expect(late).toBeInstanceOf(OrderNotPayable);
      expect((late as OrderNotPayable).status).toBe("paid");
      expect(payments.inner.refunded().map((p) => p.id)).toContain(other.id);
      expect((await repo.findCheckoutOrder(db, held.order.id))?.paymentRef).toBe(paymentId);
    },
  );

  it_(
    "another order's payment cannot pay this order: not found, and both orders stay as they were",
    async () => {
      const drop = await holdDrop({ quantity: 2, maxPerFan: 1 });
      const mine = await checkout().purchase(drop, { fan: "mine@fans.test" });
      const theirs = await checkout().purchase(drop, { fan: "theirs@fans.test" });
      const their = await checkout().pay(theirs.order.id, theirs.orderToken!, {
        card: TEST_CARDS.requiresAction,
      });
      const error = await refusal(
        checkout().pay(mine.order.id, mine.orderToken!, { paymentId: their.pending!.id }),
      );
      expect(error).toBeInstanceOf(NotFound);
      expect((error as NotFound).message).toBe("No such payment.");
      expect((await repo.findCheckoutOrder(db, mine.order.id))?.status).toBe("held");
      expect((await repo.findCheckoutOrder(db, theirs.order.id))?.status).toBe("held");
    },
  );

  it_(
    "a second step landing after the hold ran out is refunded, and its unit ends the sold-out belief",
    async () => {
      const drop = await holdDrop();
      now = testClock();
      const held = await checkout().purchase(drop, { fan: "slow@fans.test" });
      const pending = await checkout().pay(held.order.id, held.orderToken!, {
        card: TEST_CARDS.requiresAction,
      });
      expect(await refusal(checkout().purchase(drop, { fan: "waiting@fans.test" }))).toBeInstanceOf(SoldOut);
      await expire(held.order.id);
      const late = await refusal(
        checkout().pay(held.order.id, held.orderToken!, { paymentId: pending.pending!.id }),
      );
      expect(late).toBeInstanceOf(HoldExpired);
      expect((late as HoldExpired).refunded).toBe(true);
      expect(payments.inner.refunded().map((p) => p.id)).toContain(pending.pending!.id);
      // Same instant on the app's clock: only the refund's returned unit can have ended the belief.
      expect(checkout().isSoldOut(drop.id)).toBe(false);
      const next = await checkout().purchase(drop, { fan: "waiting@fans.test" });
      expect(next.order.unitNo).toBe(1);
    },
  );

  it_("a provider's notification pays a held order, and a repeat of it changes nothing", async () => {
    const drop = await holdDrop();
    const held = await checkout().purchase(drop, { fan: "hook@fans.test" });
    const request = { orderId: held.order.id, amountCents: held.order.priceCents, currency: "EUR" };
    const waiting = await payments.inner.createPayment(request, { card: TEST_CARDS.requiresAction });
    // A notification about a payment still waiting for its second step changes nothing.
    await checkout().notify(JSON.stringify(waiting), {});
    await checkout().notify("", {});
    expect((await repo.findCheckoutOrder(db, held.order.id))?.status).toBe("held");
    const paid = await payments.inner.confirmPayment(waiting.id);
    await checkout().notify(JSON.stringify(paid), {});
    await checkout().notify(JSON.stringify(paid), {});
    expect(await repo.findCheckoutOrder(db, held.order.id)).toMatchObject({
      status: "paid",
      paymentRef: paid.id,
    });
    expect(payments.inner.refunded().map((p) => p.id)).not.toContain(paid.id);
  });

  it_(
    "a notification the order cannot take (hold ended, paid by another, order unknown) is refunded and acknowledged",
    async () => {
      const drop = await holdDrop({ quantity: 2, maxPerFan: 1 });
      const succeeded = (orderId: string) =>
        payments.inner.createPayment(
          { orderId, amountCents: 100, currency: "EUR" },
          { card: TEST_CARDS.succeeds },
        );

      const ended = await checkout().purchase(drop, { fan: "ended@fans.test" });
      await expire(ended.order.id);
      const late = await succeeded(ended.order.id);
      await expect(checkout().notify(JSON.stringify(late), {})).resolves.toBeUndefined();
      expect((await repo.findCheckoutOrder(db, ended.order.id))?.status).toBe("refunded");

      const paid = await checkout().purchase(drop, { fan: "paid@fans.test" });
      await checkout().pay(paid.order.id, paid.orderToken!, { card: TEST_CARDS.succeeds });
      const second = await succeeded(paid.order.id);
      await expect(checkout().notify(JSON.stringify(second), {})).resolves.toBeUndefined();
      expect((await repo.findCheckoutOrder(db, paid.order.id))?.paymentRef).not.toBe(second.id);

      // An order this shop does not have (its drop was deleted): the money goes back all the same.
      const stray = await succeeded(randomUUID());
      await expect(checkout().notify(JSON.stringify(stray), {})).resolves.toBeUndefined();

      const refunded = payments.inner.refunded().map((p) => p.id);
      expect(refunded).toEqual(expect.arrayContaining([late.id, second.id, stray.id]));
    },
  );

  it_("a rehearsal drop's orders are paid by the rehearsal provider, never the shop's own", async () => {
    const real = new TestPaymentProvider();
    const rehearsal = new TestPaymentProvider();
    const rehearsed = await holdDrop();
    const ordinary = await holdDrop();
    const own = createCheckout({
      db,
      retryPolicy: TEST_RETRY_POLICY,
      payments: real,
      rehearsalPayments: rehearsal,
      isRehearsal: async (dropId) => dropId === rehearsed.id,
      fingerprint: requestFingerprint,
      clock: () => now,
    });
    for (const drop of [rehearsed, ordinary]) {
      const held = await own.purchase(drop, { fan: "rehearse@fans.test" });
      await own.pay(held.order.id, held.orderToken!, { card: TEST_CARDS.succeeds });
    }
    expect(rehearsal.captured().map((p) => p.orderId)).toHaveLength(1);
    expect(real.captured()).toHaveLength(1);
    const [rehearsalPayment] = rehearsal.captured();
    const [realPayment] = real.captured();
    expect((await repo.findCheckoutOrder(db, rehearsalPayment!.orderId))?.dropId).toBe(rehearsed.id);
    expect((await repo.findCheckoutOrder(db, realPayment!.orderId))?.dropId).toBe(ordinary.id);
  });

  it_("paying an order that is not held is refused before any money moves", async () => {
    const drop = await holdDrop({ quantity: 2, maxPerFan: 1 });
    const paid = await checkout().purchase(drop, { fan: "done@fans.test" });
    await checkout().pay(paid.order.id, paid.orderToken!, { card: TEST_CARDS.succeeds });
    const before = payments.inner.captured().length;
    const again = await refusal(
      checkout().pay(paid.order.id, paid.orderToken!, { card: TEST_CARDS.succeeds }),
    );
    expect(again).toBeInstanceOf(OrderNotPayable);
    const ended = await checkout().purchase(drop, { fan: "ended@fans.test" });
    await expire(ended.order.id);
    const late = await refusal(
      checkout().pay(ended.order.id, ended.orderToken!, { card: TEST_CARDS.succeeds }),
    );
    expect(late).toBeInstanceOf(HoldExpired);
    expect((late as HoldExpired).refunded).toBe(false);
    expect(payments.inner.captured()).toHaveLength(before);
  });

  it_(
    "a hold's claim failing for a reason other than a race is not retried: its error reaches the caller once",
    async () => {
      // Only the two unique keys a racing copy of the request can hit are worth another try; anything else
      // (here a value the database refuses) would fail again, and retrying it ends as a misleading "busy".
      const drop = await holdDrop();
      let gates = 0;
      const refusing: Database = {
        ...db,
        transaction: (work) =>
          db.transaction((tx) =>
            work({
              query: async (sql, params, options) => {
                if (options?.name !== "hold_gate") return tx.query(sql, params, options);
                gates++;
                throw Object.assign(new Error("value too long for type character varying(200)"), {
                  code: "22001",
                });
              },
            }),
          ),
      };
      const own = createCheckout({
        db: refusing,
        retryPolicy: TEST_RETRY_POLICY,
        payments,
        fingerprint: requestFingerprint,
      });
      const refused = await refusal(own.purchase(drop, { fan: "odd@fans.test" }));
      expect((refused as Error).message).toBe("value too long for type character varying(200)");
      expect(gates).toBe(1);
    },
  );

  it_(
    "a provider's notification settles its payment's attempt: kept when it paid the order, refunded when late",
    async () => {
      const drop = await holdDrop({ quantity: 2, maxPerFan: 1 });
      const attemptsOf = async (orderId: string) =>
        (await repo.listPaymentAttempts(db, orderId)).map((a) => [a.state, a.settledBy]);
      // A payment waiting for the fan's second step; the provider tells us it succeeded.
      const paying = await checkout().purchase(drop, { fan: "hooked@fans.test" });
      const waiting = await checkout().pay(paying.order.id, paying.orderToken!, {
        card: TEST_CARDS.requiresAction,
      });
      await checkout().notify(JSON.stringify(await payments.inner.confirmPayment(waiting.pending!.id)), {});
      expect(await attemptsOf(paying.order.id)).toEqual([["kept", "webhook"]]);
      // The same, after the hold ran out: refunded, and the attempt says so.
      const late = await checkout().purchase(drop, { fan: "late-hook@fans.test" });
      const lateWaiting = await checkout().pay(late.order.id, late.orderToken!, {
        card: TEST_CARDS.requiresAction,
      });
      await expire(late.order.id);
      await checkout().notify(
        JSON.stringify(await payments.inner.confirmPayment(lateWaiting.pending!.id)),
        {},
      );
      expect(await attemptsOf(late.order.id)).toEqual([["refunded", "webhook"]]);
      expect(payments.inner.refunded().map((p) => p.id)).toContain(lateWaiting.pending!.id);
    },
  );

  it_("a draw drop's units are never held first-come, even asked of checkout directly", async () => {
    // The HTTP routes answer draw_only before checkout is reached; checkout holds the line on its own.
    const drop = await holdDrop({
      sale: "draw",
      verifiedFans: true,
      entriesCloseAt: isoFromNow(HOUR_MS),
      startsAt: isoFromNow(-60_000),
    });
    expect(await refusal(checkout().purchase(drop, { fan: "eager@fans.test" }))).toBeInstanceOf(DrawOnly);
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM orders WHERE drop_id = $1::uuid",
      [drop.id],
    );
    expect(rows[0]!.n).toBe(0);
  });
});
