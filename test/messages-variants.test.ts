import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { createSmtpMailer } from "../src/domain/messages/mailer";
import type { DeliverySchedule } from "../src/domain/messages/schedule";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { createDrop, createSeller, json } from "./support/shop-fixtures";
import { startSmtpReceiver } from "./support/smtp-receiver";
import { eventually, startReceiver } from "./support/webhook-receiver";

/**
 * The size travels with the order (issue 18 §5): on a drop of several sizes every order webhook carries
 * `variant: {id, name}` beside the existing fields, and the fan's emails name the size with the unit; a
 * one-size drop's payloads and emails are as before. Real HTTP receiver, real SMTP server, every backend.
 */
const FAST: DeliverySchedule = {
  retryDelaysMs: [5, 5, 5, 5, 5, 5, 5, 5],
  disableAfterMs: 3_600_000,
  requestTimeoutMs: 5000,
  leaseMs: 5000,
};
type Payload = { type: string; data: Record<string, unknown> };

describe.each(ALL_BACKENDS)("the size in webhooks and emails on %s", (backend) => {
  let db: Database;
  const it_ = isAvailable(backend) ? it : it.skip;
  beforeAll(async () => {
    if (isAvailable(backend)) db = await openTestDatabase(backend);
  });
  afterAll(async () => db?.close());

  it_("order.created and order.cancelled carry the variant; the emails say the size", async () => {
    const smtp = await startSmtpReceiver();
    const receiver = await startReceiver();
    const app = createApp({
      db,
      logError: () => undefined,
      publicUrl: "https://drops.example.com",
      messages: {
        allowPrivate: true,
        schedule: FAST,
        mailer: createSmtpMailer(smtp.url, "drops@example.com", 5000),
      },
    });
    try {
      const { apiKey } = await createSeller(app);
      const owner = { authorization: `Bearer ${apiKey}` };
      expect((await app.request("/api/webhooks", json({ url: receiver.url }, owner))).status).toBe(201);
      const sized = await createDrop(app, apiKey, {
        title: "Tour tee",
        quantity: undefined,
        variants: [
          { name: "S", quantity: 2 },
          { name: "M", quantity: 3 },
        ],
      });
      const plain = await createDrop(app, apiKey, { title: "Poster", quantity: 3 });
      const prefix = randomUUID().slice(0, 8);
      const buy = async (dropId: string, fan: string, variant?: string) => {
        const res = await app.request(
          `/api/drops/${dropId}/purchase`,
          json({ fan, ...(variant ? { variant } : {}) }),
        );
        expect(res.status).toBe(201);
        return ((await res.json()) as { order: { id: string; variant?: { id: string; name: string } } })
          .order;
      };
      const bought = await buy(sized.id, `${prefix}-m@example.com`, "M");
      const medium = bought.id;
      expect(bought.variant?.name).toBe("M");
      await buy(plain.id, `${prefix}-p@example.com`);
      expect(
        (await app.request(`/api/orders/${medium}/cancel`, { method: "POST", headers: owner })).status,
      ).toBe(200);

      const mine = () => (receiver.accepted() as Payload[]).filter((p) => p.data.dropId === sized.id);
      const ours = () => smtp.accepted.filter((mail) => mail.to.startsWith(`${prefix}-`));
      await eventually(async () => {
        await app.messages.dispatcher.tick();
        return mine().some((p) => p.type === "order.cancelled") && ours().length >= 3;
      });
      for (const type of ["order.created", "order.cancelled"]) {
        const payload = mine().find((p) => p.type === type)!;
        expect(payload.data).toMatchObject({ orderId: medium, unitNo: 1, fan: `${prefix}-m@example.com` });
        expect(payload.data.variant).toEqual(bought.variant);
      }
      const poster = (receiver.accepted() as Payload[]).find(
        (p) => p.data.dropId === plain.id && p.type === "order.created",
      );
      expect(poster?.data).not.toHaveProperty("variant");

      const confirmation = ours().find((mail) => mail.subject.startsWith("Your order: Tour tee"));
      expect(confirmation?.subject).toBe("Your order: Tour tee, unit #1 (size M)");
      const cancelled = ours().find((mail) => mail.subject.startsWith("Cancelled: Tour tee"));
      expect(cancelled?.text).toContain("cancelled your order for unit #1 (size M) of Tour tee.");
      const posterMail = ours().find((mail) => mail.subject.startsWith("Your order: Poster"));
      expect(posterMail?.subject).toBe("Your order: Poster, unit #1");
    } finally {
      await receiver.close();
      await smtp.close();
    }
  });

  it_("a refund and a shipment each reach the fan by real mail, naming the size", async () => {
    const smtp = await startSmtpReceiver();
    const app = createApp({
      db,
      logError: () => undefined,
      publicUrl: "https://drops.example.com",
      messages: { schedule: FAST, mailer: createSmtpMailer(smtp.url, "drops@example.com", 5000) },
    });
    try {
      const { apiKey } = await createSeller(app);
      const owner = { authorization: `Bearer ${apiKey}` };
      const sizes = [
        { name: "S", quantity: 2 },
        { name: "L", quantity: 2 },
      ];
      const held = await createDrop(app, apiKey, {
        title: "Hoodie",
        quantity: undefined,
        holdMinutes: 10,
        variants: sizes,
      });
      const instant = await createDrop(app, apiKey, { title: "Cap", quantity: undefined, variants: sizes });
      const prefix = randomUUID().slice(0, 8);
      const bought = await app.request(
        `/api/drops/${held.id}/purchase`,
        json({ fan: `${prefix}-r@example.com`, variant: "L" }),
      );
      const { order, orderToken } = (await bought.json()) as { order: { id: string }; orderToken: string };
      const paid = await app.request(
        `/api/orders/${order.id}/pay`,
        json({ card: "4242424242424242" }, { authorization: `Bearer ${orderToken}` }),
      );
      expect(paid.status).toBe(200);
      const refunded = await app.request(`/api/orders/${order.id}/refund`, {
        method: "POST",
        headers: owner,
      });
      expect(refunded.status).toBe(200);
      const cap = await app.request(
        `/api/drops/${instant.id}/purchase`,
        json({ fan: `${prefix}-f@example.com`, variant: "S" }),
      );
      const capOrder = ((await cap.json()) as { order: { id: string } }).order;
      const shipped = await app.request(`/api/orders/${capOrder.id}/fulfil`, {
        method: "POST",
        headers: { ...owner, "content-type": "application/json" },
        body: JSON.stringify({ trackingUrl: "https://carrier.example/track/42" }),
      });
      expect(shipped.status).toBe(200);

      const ours = () => smtp.accepted.filter((mail) => mail.to.startsWith(`${prefix}-`));
      const refundMail = () => ours().find((mail) => mail.subject.startsWith("Refunded: Hoodie"));
      const shipMail = () => ours().find((mail) => mail.subject.startsWith("On its way: Cap"));
      await eventually(async () => {
        await app.messages.dispatcher.tick();
        return refundMail() !== undefined && shipMail() !== undefined;
      });
      expect(refundMail()).toMatchObject({
        to: `${prefix}-r@example.com`,
        subject: "Refunded: Hoodie, unit #1 (size L)",
      });
      expect(shipMail()).toMatchObject({
        to: `${prefix}-f@example.com`,
        subject: "On its way: Cap, unit #1 (size S)",
      });
      expect(shipMail()!.text).toContain("https://carrier.example/track/42");
    } finally {
      await smtp.close();
    }
  });
});
