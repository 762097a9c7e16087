import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { TEST_CARDS, TestPaymentProvider } from "../src/domain/checkout/payments";
import { openTestDatabase } from "./support/databases";
import { createDrop, createSeller, json } from "./support/shop-fixtures";

/**
 * Issue 15 §2: the test provider kept every payment in memory forever and /pay had no limit, so ~175,000
 * declined-card attempts on one hold crashed Node. The ledger is bounded, and payment attempts are
 * limited per order and per client (429 + Retry-After), on the API and the fan page alike.
 */
describe("abuse: payment floods", () => {
  it("the test provider's ledger stays within its bounds however many attempts it sees", async () => {
    const provider = new TestPaymentProvider({ pending: 50, settled: 200 });
    const request = { orderId: randomUUID(), amountCents: 900, currency: "USD" };
    for (let i = 0; i < 5000; i++) await provider.createPayment(request, { card: "4000000000000002" });
    expect(provider.size).toBe(0);
    let pending = "";
    for (let i = 0; i < 1000; i++) {
      pending = (await provider.createPayment(request, { card: TEST_CARDS.requiresAction })).id;
    }
    for (let i = 0; i < 1000; i++) await provider.createPayment(request, { card: TEST_CARDS.succeeds });
    expect(provider.size).toBeLessThanOrEqual(250);
    // What the bound keeps still works: the newest waiting payment confirms, money taken can be refunded.
    const confirmed = await provider.confirmPayment(pending);
    expect(confirmed.status).toBe("succeeded");
    await provider.refund(confirmed.id);
    expect(provider.refunded().map((p) => p.id)).toContain(confirmed.id);
    expect(provider.size).toBeLessThanOrEqual(250);
  });

  describe("payment attempts per order and per client", () => {
    let db: Database;
    let app: ReturnType<typeof createApp>;
    let apiKey: string;
    let dropId: string;
    let now = 1_000_000;
    const clock = () => now;

    beforeAll(async () => {
      db = await openTestDatabase("pglite");
      app = createApp({
        db,
        logError: () => undefined,
        payRateLimit: {
          perOrder: { perSecond: 0.2, burst: 3, now: clock },
          perClient: { perSecond: 1, burst: 8, now: clock },
        },
      });
      ({ apiKey } = await createSeller(app));
      ({ id: dropId } = await createDrop(app, apiKey, { quantity: 50, holdMinutes: 10 }));
    });
    afterAll(async () => db?.close());

    const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } });
    const hold = async () => {
      const res = await app.request(`/api/drops/${dropId}/purchase`, json({ fan: `fan-${randomUUID()}` }));
      const body = (await res.json()) as { order: { id: string }; orderToken: string };
      return { id: body.order.id, token: body.orderToken };
    };
    const pay = (order: { id: string; token: string }, address: string, card = "4000000000000002") =>
      app.request(
        `/api/orders/${order.id}/pay`,
        json({ card }, { authorization: `Bearer ${order.token}` }),
        from(address),
      );

    it("a script trying cards on one hold gets its tries, then 429 with Retry-After", async () => {
      const order = await hold();
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 6; i++) {
        last = await pay(order, "198.51.100.20");
        statuses.push(last.status);
      }
      expect(statuses).toEqual([402, 402, 402, 429, 429, 429]);
      expect(last!.headers.get("retry-after")).toBe("5");
      const body = (await last!.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("rate_limited");
      expect(body.error.message).toMatch(/this order/);
      // Another address does not get a fresh allowance on the same order...
      expect((await pay(order, "198.51.100.21")).status).toBe(429);
      // ...nor does the fan page's pay form: both doors share the order's bucket.
      const form = await app.request(
        `/d/any/orders/${order.id}/pay?k=x`,
        { method: "POST", headers: { "hx-request": "true" } },
        from("198.51.100.22"),
      );
      expect(form.status).toBe(429);
      expect(form.headers.get("retry-after")).toBe("5");
      // After the wait, the fan pays.
      now += 5000;
      expect((await pay(order, "198.51.100.20", TEST_CARDS.succeeds)).status).toBe(200);
    });

    it("declined cards across many holds from one client are limited; other clients are not", async () => {
      const orders = await Promise.all(Array.from({ length: 10 }, hold));
      const statuses: number[] = [];
      for (const order of orders) statuses.push((await pay(order, "2001:db8:77:1::1")).status);
      expect(statuses.slice(0, 8)).toEqual(Array(8).fill(402));
      expect(statuses.slice(8)).toEqual([429, 429]);
      // The same /64 is the same client; a fan elsewhere pays.
      expect((await pay(orders[9]!, "2001:db8:77:1::2")).status).toBe(429);
      expect((await pay(orders[9]!, "203.0.113.50", TEST_CARDS.succeeds)).status).toBe(200);
    });
  });
});
