import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PayInput } from "../src/domain/checkout/checkout";
import { type PaymentRequest, type PaymentState, TestPaymentProvider } from "../src/domain/checkout/payments";
import type { RetryPolicy } from "../src/domain/purchase/retry";
import { createShop, type Shop } from "../src/domain/shop";
import * as repo from "../src/repository";
import { isAvailable } from "./support/databases";
import { openProxiedTestDatabase, type ProxiedTestDatabase } from "./support/proxied-postgres";

/**
 * Issue 15 §4: a payment the provider took while the database was cut before the order could be marked
 * paid (or even read) was neither kept for the order nor refunded. Every attempt is now recorded before the
 * provider is called, and the reconciler settles the ones a fault left open: it keeps the payment for its
 * order while the hold stands, refunds it otherwise, once, however many processes reconcile at once.
 * The database is really cut (a TCP proxy between the app and PostgreSQL), right after the provider answers.
 */
const retryPolicy: RetryPolicy = { maxAttempts: 3, deadlineMs: 1000, baseDelayMs: 1, maxDelayMs: 5 };
const CARD: PayInput = { card: "4242424242424242" };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The built-in provider, with the database cut the moment it has taken the money. */
class CuttingProvider extends TestPaymentProvider {
  cutAfterAnswer = false;
  constructor(private readonly proxy: ProxiedTestDatabase["proxy"]) {
    super();
  }
  override async createPayment(request: PaymentRequest, details: { card: string }): Promise<PaymentState> {
    const payment = await super.createPayment(request, details);
    if (this.cutAfterAnswer) {
      this.proxy.refuse = true;
      this.proxy.cutAll();
    }
    return payment;
  }
}

describe.each(["postgres-read-committed", "postgres-repeatable-read"] as const)(
  "money taken while the database is cut (%s)",
  (backend) => {
    let env: ProxiedTestDatabase;
    let payments: CuttingProvider;
    let shop: Shop;

    beforeAll(async () => {
      if (!isAvailable(backend)) return;
      env = await openProxiedTestDatabase(backend, { poolSize: 4, acquireTimeoutMs: 500 });
      payments = new CuttingProvider(env.proxy);
      shop = createShop(env.db, { retryPolicy, payments });
    });
    afterAll(async () => env?.close());

    /** A held order on a fresh one-unit drop, and a shop as a restarted process would build it. */
    async function heldOrder(holdSeconds: number) {
      const { seller } = await shop.createSeller({
        email: `reconcile-${Math.random()}@example.com`,
        name: "Reconcile",
        password: "correct horse battery",
      });
      const drop = await shop.createDrop(seller, {
        title: "Held",
        description: "",
        priceCents: 1500,
        currency: "EUR",
        quantity: 1,
        maxPerFan: 1,
        holdSeconds,
      });
      const held = (await shop.purchase(drop.id, { fan: "fan@example.com" })).checkout!;
      return { dropId: drop.id, orderId: held.order.id, token: held.orderToken! };
    }

    /** Pays with the database cut right after the provider's answer; the fan gets an error. */
    async function payThroughCut(orderId: string, token: string) {
      payments.cutAfterAnswer = true;
      try {
        await expect(shop.checkout.pay(orderId, token, CARD)).rejects.toThrow();
      } finally {
        payments.cutAfterAnswer = false;
        env.proxy.refuse = false;
      }
    }

    const restartedShop = () => createShop(env.db, { retryPolicy, payments });
    const reconcile = (target: Shop, holder: string) =>
      target.checkout.reconcilePayments({ graceSeconds: 0, holder });
    const capturedFor = (orderId: string) => payments.captured().filter((p) => p.orderId === orderId);
    const refundedFor = (orderId: string) => payments.refunded().filter((p) => p.orderId === orderId);

    it.runIf(isAvailable(backend))(
      "leaves the attempt on record, then keeps the payment for its order once the database is back",
      async () => {
        const { orderId, token } = await heldOrder(600);
        await payThroughCut(orderId, token);
        // The fault's leftovers: money taken, the order still held, the attempt open.
        expect(capturedFor(orderId)).toHaveLength(1);
        expect((await repo.findCheckoutOrder(env.direct, orderId))?.status).toBe("held");
        expect((await repo.listPaymentAttempts(env.direct, orderId)).map((a) => a.state)).toEqual([
          "started",
        ]);

        const summary = await reconcile(restartedShop(), "restarted");
        expect(summary).toMatchObject({ kept: 1, refunded: 0, failed: 0 });
        const order = await repo.findCheckoutOrder(env.direct, orderId);
        expect(order?.status).toBe("paid");
        expect(order?.paymentRef).toBe(capturedFor(orderId)[0]!.id);
        expect(refundedFor(orderId)).toEqual([]);
        expect(await repo.listPaymentAttempts(env.direct, orderId)).toMatchObject([
          { state: "kept", paymentRef: order?.paymentRef, settledBy: "reconciler restarted" },
        ]);
        // Settled attempts are not looked at again.
        expect(await reconcile(restartedShop(), "again")).toMatchObject({ kept: 0, refunded: 0 });
      },
    );

    it.runIf(isAvailable(backend))(
      "refunds the payment when the hold ended before the database came back; the unit is in stock again",
      async () => {
        const { dropId, orderId, token } = await heldOrder(1);
        await payThroughCut(orderId, token);
        expect(capturedFor(orderId)).toHaveLength(1);
        // Wait for the hold to run out on the database clock.
        for (;;) {
          const order = await repo.findCheckoutOrder(env.direct, orderId);
          if (order?.status === "expired") break;
          await sleep(100);
        }
        expect(await reconcile(restartedShop(), "late")).toMatchObject({ kept: 0, refunded: 1, failed: 0 });
        expect(capturedFor(orderId)).toEqual([]);
        expect(refundedFor(orderId)).toHaveLength(1);
        expect((await repo.findCheckoutOrder(env.direct, orderId))?.status).toBe("refunded");
        expect((await repo.listPaymentAttempts(env.direct, orderId)).map((a) => a.state)).toEqual([
          "refunded",
        ]);
        expect((await repo.readStock(env.direct, dropId))?.remaining).toBe(1);
      },
    );

    it.runIf(isAvailable(backend))(
      "is settled once when several processes reconcile at the same time",
      async () => {
        const orders = await Promise.all([heldOrder(600), heldOrder(600), heldOrder(600)]);
        for (const { orderId, token } of orders) await payThroughCut(orderId, token);
        const summaries = await Promise.all(
          ["one", "two", "three", "four"].map((holder) => reconcile(restartedShop(), holder)),
        );
        const total = (key: "kept" | "refunded") => summaries.reduce((sum, s) => sum + s[key], 0);
        expect(total("kept")).toBe(3);
        expect(total("refunded")).toBe(0);
        for (const { orderId } of orders) {
          const order = await repo.findCheckoutOrder(env.direct, orderId);
          expect(order?.status).toBe("paid");
          expect(capturedFor(orderId).map((p) => p.id)).toEqual([order?.paymentRef]);
          expect(refundedFor(orderId)).toEqual([]);
        }
      },
    );

    it.runIf(isAvailable(backend))(
      "closes the attempt without a refund when the order was marked paid and the answer was lost",
      async () => {
        const { orderId, token } = await heldOrder(600);
        // The mark-paid transaction's COMMIT (the UPDATE and its order.paid event) reaches the server; its
        // answer, and everything after, does not.
        let markPaidSent = false;
        const cut = env.proxy.cutAfterForwarding((chunk) => {
          if (chunk.includes("hold_mark_paid")) markPaidSent = true;
          const commit = markPaidSent && chunk.includes("COMMIT");
          // No new connection either, so the order cannot be read back after the error.
          if (commit) env.proxy.refuse = true;
          return commit;
        });
        void cut.then(() => env.proxy.cutAll());
        await expect(shop.checkout.pay(orderId, token, CARD)).rejects.toThrow();
        env.proxy.disarmCuts();
        env.proxy.refuse = false;
        expect((await repo.findCheckoutOrder(env.direct, orderId))?.status).toBe("paid");
        expect(await reconcile(restartedShop(), "after-commit")).toMatchObject({ kept: 1, refunded: 0 });
        expect(capturedFor(orderId)).toHaveLength(1);
        expect(refundedFor(orderId)).toEqual([]);
      },
    );
  },
);
