import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Database } from "../src/db/database";
import { createCheckout } from "../src/domain/checkout/checkout";
import { type PaymentState, TEST_CARDS, TestPaymentProvider } from "../src/domain/checkout/payments";
import { CardDeclined, HoldExpired, NotFound, OrderNotPayable } from "../src/domain/errors";
import { requestFingerprint } from "../src/domain/purchase/purchase";
import type { RetryPolicy } from "../src/domain/purchase/retry";
import { createShop, type Shop } from "../src/domain/shop";
import * as repo from "../src/repository";
import { failingMarkPaid, heldOrderOn } from "./support/checkout-faults";
import { openTestDatabase } from "./support/databases";

/**
 * Issue 21 §3: what each payment attempt's record says (sql/0090, payment-attempts.ts). The record is how the
 * reconciler finds money a crash or a fault left unsettled, so a wrong record strands money as surely as a
 * missing refund. Stryker found these unheld in checkout.ts's payOrder and settleAttempt: the answer of a
 * declined or waiting payment, the payment named before a second step is confirmed, an attempt abandoned
 * for another order's payment, a refund recorded as refunded, and a failed refund left open.
 */
const retryPolicy: RetryPolicy = { maxAttempts: 3, deadlineMs: 1000, baseDelayMs: 1, maxDelayMs: 5 };

/** The provider, unreachable for one call of `which` (the request may or may not have reached it). */
class UnreachableOnce extends TestPaymentProvider {
  #down: "refund" | "confirm" | undefined;
  constructor(which: "refund" | "confirm") {
    super();
    this.#down = which;
  }
  override async refund(paymentId: string): Promise<void> {
    if (this.#down === "refund") {
      this.#down = undefined;
      throw new Error("payment provider unreachable");
    }
    return super.refund(paymentId);
  }
  override async confirmPayment(paymentId: string): Promise<PaymentState> {
    if (this.#down === "confirm") {
      this.#down = undefined;
      throw new Error("payment provider unreachable");
    }
    return super.confirmPayment(paymentId);
  }
}

describe("a payment attempt's record", () => {
  let db: Database;
  let shop: Shop;

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    shop = createShop(db, { retryPolicy });
  });
  afterAll(async () => {
    await db?.close();
  });

  const checkoutOn = (payments: TestPaymentProvider, database: Database = db) =>
    createCheckout({ db: database, retryPolicy, payments, fingerprint: requestFingerprint });
  const attempts = (orderId: string) => repo.listPaymentAttempts(db, orderId);
  const refusal = (work: Promise<unknown>) =>
    work.then(
      () => undefined,
      (error: unknown) => error,
    );

  test("of a declined card says declined, with the provider's payment", async () => {
    const { orderId, token } = await heldOrderOn(shop);
    const payments = new TestPaymentProvider();
    const declined = await refusal(checkoutOn(payments).pay(orderId, token, { card: TEST_CARDS.declines }));
    expect(declined).toBeInstanceOf(CardDeclined);
    const [attempt] = await attempts(orderId);
    expect(attempt).toMatchObject({ state: "declined", paymentRef: expect.stringMatching(/^pay_test_/) });
  });

  test("of a payment waiting for its second step says so and names the payment", async () => {
    const { orderId, token } = await heldOrderOn(shop);
    const payments = new TestPaymentProvider();
    const { pending } = await checkoutOn(payments).pay(orderId, token, { card: TEST_CARDS.requiresAction });
    expect(pending?.status).toBe("requires_action");
    expect(await attempts(orderId)).toMatchObject([{ state: "requires_action", paymentRef: pending!.id }]);
  });

  test("of a second step names its payment before the provider answers, so a lost answer can be found", async () => {
    const { orderId, token } = await heldOrderOn(shop);
    const payments = new UnreachableOnce("confirm");
    const { pending } = await checkoutOn(payments).pay(orderId, token, { card: TEST_CARDS.requiresAction });
    const lost = await refusal(checkoutOn(payments).pay(orderId, token, { paymentId: pending!.id }));
    expect((lost as Error).message).toBe("payment provider unreachable");
    const [, confirming] = await attempts(orderId);
    expect(confirming).toMatchObject({ state: "started", paymentRef: pending!.id });
  });

  test("of a second step naming another order's payment is abandoned, and that payment is not taken here", async () => {
    const mine = await heldOrderOn(shop);
    const other = await heldOrderOn(shop);
    const payments = new TestPaymentProvider();
    const { pending } = await checkoutOn(payments).pay(other.orderId, other.token, {
      card: TEST_CARDS.requiresAction,
    });
    const refused = await refusal(
      checkoutOn(payments).pay(mine.orderId, mine.token, { paymentId: pending!.id }),
    );
    expect(refused).toBeInstanceOf(NotFound);
    expect(await attempts(mine.orderId)).toMatchObject([{ state: "abandoned", settledBy: "request" }]);
    expect((await repo.findCheckoutOrder(db, mine.orderId))?.status).toBe("held");
  });

  test("of a payment that came too late, or after another paid the order, says refunded", async () => {
    const payments = new TestPaymentProvider();
    // The hold ran out before the second step: HoldExpired, the money back.
    const late = await heldOrderOn(shop);
    const first = await checkoutOn(payments).pay(late.orderId, late.token, {
      card: TEST_CARDS.requiresAction,
    });
    await db.query("UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = $1::uuid", [
      late.orderId,
    ]);
    const expired = await refusal(
      checkoutOn(payments).pay(late.orderId, late.token, { paymentId: first.pending!.id }),
    );
    expect(expired).toBeInstanceOf(HoldExpired);
    expect((await attempts(late.orderId)).map((a) => [a.state, a.settledBy])).toEqual([
      ["requires_action", null],
      ["refunded", "request"],
    ]);
    // Paid meanwhile with another card: OrderNotPayable, the late second step's money back.
    const paidBefore = await heldOrderOn(shop);
    const waiting = await checkoutOn(payments).pay(paidBefore.orderId, paidBefore.token, {
      card: TEST_CARDS.requiresAction,
    });
    await checkoutOn(payments).pay(paidBefore.orderId, paidBefore.token, { card: TEST_CARDS.succeeds });
    const second = await refusal(
      checkoutOn(payments).pay(paidBefore.orderId, paidBefore.token, { paymentId: waiting.pending!.id }),
    );
    expect(second).toBeInstanceOf(OrderNotPayable);
    expect((await attempts(paidBefore.orderId)).map((a) => a.state)).toEqual([
      "requires_action",
      "kept",
      "refunded",
    ]);
    expect(payments.refunded().map((p) => p.id)).toEqual([first.pending!.id, waiting.pending!.id]);
  });

  test("stays open when the refund itself failed, and the reconciler then settles the money", async () => {
    // The mark fails (Busy) and giving the money back fails too: the money is still taken, so the record
    // must not say refunded, or the reconciler would never look at it again.
    const { orderId, token } = await heldOrderOn(shop);
    const payments = new UnreachableOnce("refund");
    const failed = await refusal(
      checkoutOn(payments, failingMarkPaid(db, "before")).pay(orderId, token, {
        card: TEST_CARDS.succeeds,
      }),
    );
    expect((failed as Error).message).toBe("payment provider unreachable");
    const [open] = await attempts(orderId);
    expect(open?.state).toBe("started");
    expect(payments.captured()).toHaveLength(1);

    // The reconciler finds it through the provider and settles it: the hold is still held, so it pays it.
    await checkoutOn(payments).reconcilePayments({ graceSeconds: 0, holder: "teeth" });
    const [settled] = await attempts(orderId);
    expect(settled?.state).toBe("kept");
    const order = await repo.findCheckoutOrder(db, orderId);
    expect(order).toMatchObject({ status: "paid", paymentRef: payments.captured()[0]!.id });
  });
});
