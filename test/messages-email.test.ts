import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { createSmtpMailer } from "../src/domain/messages/mailer";
import type { DeliverySchedule } from "../src/domain/messages/schedule";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { buy, createDrop, createSeller, json } from "./support/shop-fixtures";
import { type ReceivedMail, startSmtpReceiver } from "./support/smtp-receiver";
import { eventually } from "./support/webhook-receiver";

/** Fan email over a real SMTP server in-process (issue 16 §3): smtp-server receives, mailparser reads. */

const FAST: DeliverySchedule = {
  retryDelaysMs: [5, 10, 20, 40, 80, 100, 100, 100, 100, 100],
  disableAfterMs: 3_600_000,
  requestTimeoutMs: 5000,
  leaseMs: 10_000,
};
const UNITS = 1000;

describe.each(ALL_BACKENDS)("fan email on %s", (backend) => {
  let db: Database;
  const it_ = isAvailable(backend) ? it : it.skip;

  beforeAll(async () => {
    if (isAvailable(backend)) db = await openTestDatabase(backend);
  });
  afterAll(async () => db?.close());

  /** An app whose mail goes to `smtpUrl`; the dispatcher is ticked by the test. */
  const appFor = (smtpUrl: string) =>
    createApp({
      db,
      logError: () => undefined,
      publicUrl: "https://drops.example.com",
      messages: { mailer: createSmtpMailer(smtpUrl, "drops@example.com", 5000), schedule: FAST },
    });

  /**
   * `units` + 100 fans at once, each trying again after a busy answer until it wins or hears sold out. Fan
   * addresses carry a prefix of their own, so mail left over from another test on this database is told apart.
   */
  async function stampede(app: ReturnType<typeof createApp>, units: number) {
    const { apiKey } = await createSeller(app);
    const drop = await createDrop(app, apiKey, { quantity: units, maxPerFan: 1 });
    const prefix = randomUUID().slice(0, 8);
    const fan = async (i: number) => {
      for (;;) {
        const answer = await buy(app, drop.id, `${prefix}-fan${i}@example.com`);
        if (answer.status !== 503) return answer;
      }
    };
    const answers = await Promise.all(Array.from({ length: units + 100 }, (_, i) => fan(i)));
    const wins = answers.filter((a) => a.status === 201).map((a) => a.body.order!);
    expect(wins).toHaveLength(units);
    const ours = (mails: ReceivedMail[]) => mails.filter((mail) => mail.to.startsWith(`${prefix}-`));
    return { drop, wins, ours };
  }

  it_(
    `a ${UNITS}-unit stampede sends exactly ${UNITS} confirmations, one to each winner with their unit`,
    async () => {
      const smtp = await startSmtpReceiver();
      const app = appFor(smtp.url);
      const { wins } = await stampede(app, UNITS);
      await eventually(async () => {
        await app.messages.dispatcher.tick();
        return smtp.accepted.length >= UNITS;
      }, 240_000);
      await app.messages.dispatcher.runUntilIdle();
      expect(smtp.accepted).toHaveLength(UNITS);
      const byAddress = new Map(smtp.accepted.map((mail) => [mail.to, mail]));
      expect(byAddress.size).toBe(UNITS);
      for (const order of wins) {
        const mail = byAddress.get(order.fan)!;
        expect(mail.subject).toContain(`unit #${order.unitNo}`);
        expect(mail.text).toContain(`unit #${order.unitNo}`);
        expect(mail.text).toContain(`https://drops.example.com/d/`);
        expect(mail.text).toContain(order.id);
        expect(mail.html).toContain(`unit #${order.unitNo}`);
        expect(mail.from).toContain("Seller");
        // A receipt: never an unsubscribe link.
        expect(mail.headers.has("list-unsubscribe")).toBe(false);
      }
      await smtp.close();
    },
    300_000,
  );

  it_("mail goes to the address as the fan typed it, never to the per-fan key", async () => {
    // The per-fan limit keys on a confusables skeleton ("rn" and "m", "1" and "l" are one fan): a key is no address.
    const smtp = await startSmtpReceiver();
    const app = appFor(smtp.url);
    const { apiKey } = await createSeller(app);
    const drop = await createDrop(app, apiKey, { quantity: 2, maxPerFan: 1 });
    const typed = `Vernon.Rn1-${randomUUID().slice(0, 8)}@Example.com`;
    expect((await buy(app, drop.id, typed)).status).toBe(201);
    await eventually(async () => {
      await app.messages.dispatcher.tick();
      return smtp.accepted.some((mail) => mail.to.toLowerCase() === typed.toLowerCase());
    }, 120_000);
    const ours = smtp.accepted.filter(
      (mail) => mail.to.toLowerCase().includes("vern") || mail.to.includes("vem"),
    );
    expect(ours.map((mail) => mail.to.toLowerCase())).toEqual([typed.toLowerCase()]);
    await smtp.close();
  });

  it_(
    "an SMTP server that refuses some messages and restarts mid-run still gets every one",
    async () => {
      const units = 200;
      const smtp = await startSmtpReceiver((index) => index % 5 === 2);
      const app = appFor(smtp.url);
      const { wins } = await stampede(app, units);
      let restarted = false;
      await eventually(async () => {
        await app.messages.dispatcher.tick();
        if (!restarted && smtp.accepted.length >= units / 2) {
          restarted = true;
          await smtp.restart();
        }
        return new Set(smtp.accepted.map((mail) => mail.to)).size >= units;
      }, 240_000);
      expect(restarted).toBe(true);
      expect(smtp.refusedCount()).toBeGreaterThan(0);
      const received = new Set(smtp.accepted.map((mail) => mail.to));
      expect(received).toEqual(new Set(wins.map((order) => order.fan)));
      await smtp.close();
    },
    300_000,
  );

  it_(
    "a hold sends its win at once, a reminder before it lapses (with one-click unsubscribe), and honours it",
    async () => {
      const smtp = await startSmtpReceiver();
      const app = appFor(smtp.url);
      const { apiKey } = await createSeller(app);
      const drop = await createDrop(app, apiKey, { quantity: 5, holdMinutes: 1, maxPerFan: 2 });
      const holder = `holder-${randomUUID().slice(0, 8)}@example.com`;
      const mine = () => smtp.accepted.filter((mail) => mail.to === holder);
      const hold = async () => {
        const res = await app.request(`/api/drops/${drop.id}/purchase`, json({ fan: holder }));
        expect(res.status).toBe(201);
        return ((await res.json()) as { order: { id: string } }).order;
      };
      const first = await hold();
      await app.messages.dispatcher.runUntilIdle();
      expect(mine().map((m) => m.subject)).toEqual([expect.stringContaining("is held for you")]);
      // The reminder waits until 30 s before the hold (1 minute) lapses.
      const { rows } = await db.query<{ lead_s: number }>(
        `SELECT extract(epoch FROM o.expires_at - d.next_attempt_at)::float AS lead_s
       FROM deliveries d JOIN events e ON e.id = d.event_id JOIN orders o ON o.id = e.order_id
       WHERE e.order_id = $1::uuid AND d.target = 'email:reminder'`,
        [first.id],
      );
      expect(rows[0]!.lead_s).toBeCloseTo(30, 0);
      // Its time comes (moved forward rather than waited for).
      await db.query("UPDATE deliveries SET next_attempt_at = now() WHERE target = 'email:reminder'");
      await app.messages.dispatcher.runUntilIdle();
      const reminder = mine().find((m) => m.subject.includes("about to run out"))!;
      expect(reminder.headers.get("list-unsubscribe-post")).toBe("List-Unsubscribe=One-Click");
      const link = /<([^>]+)>/.exec(String(reminder.headers.get("list-unsubscribe")))![1]!;
      const url = new URL(link);
      expect(url.origin).toBe("https://drops.example.com");
      const unsubscribed = await app.request(`${url.pathname}${url.search}`, { method: "POST" });
      expect(unsubscribed.status).toBe(200);
      const forged = await app.request(`${url.pathname}?a=${url.searchParams.get("a")}&t=${"x".repeat(32)}`, {
        method: "POST",
      });
      expect(forged.status).toBe(404);

      await hold();
      await db.query("UPDATE deliveries SET next_attempt_at = now() WHERE target = 'email:reminder'");
      await app.messages.dispatcher.runUntilIdle();
      // The second win still gets its receipt-like "held" mail; its reminder is skipped.
      expect(mine().filter((m) => m.subject.includes("is held for you"))).toHaveLength(2);
      expect(mine().filter((m) => m.subject.includes("about to run out"))).toHaveLength(1);
      await smtp.close();
    },
  );
});

describe("the dev mailbox", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase("pglite");
  });
  afterAll(async () => db?.close());

  it("keeps mail when no SMTP server is configured, and shows it only to loopback", async () => {
    const app = createApp({ db, logError: () => undefined });
    const { apiKey } = await createSeller(app);
    const drop = await createDrop(app, apiKey, { quantity: 2 });
    const won = await buy(app, drop.id, "devfan@example.com");
    await app.messages.dispatcher.runUntilIdle();
    const page = await app.request("/dev/mailbox");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("devfan@example.com");
    expect(html).toContain(`unit #${won.body.order!.unitNo}`);
    // Through a proxy (even one on this machine) or from elsewhere: no such page.
    expect(
      (await app.request("/dev/mailbox", { headers: { "x-forwarded-for": "203.0.113.9" } })).status,
    ).toBe(404);
    const remote = await app.request(
      "/dev/mailbox",
      {},
      { incoming: { socket: { remoteAddress: "203.0.113.9" } } },
    );
    expect(remote.status).toBe(404);
  });

  it("is not there once SMTP is configured", async () => {
    const smtp = await startSmtpReceiver();
    const app = createApp({
      db,
      logError: () => undefined,
      messages: { smtp: { url: smtp.url, from: "a@example.com" } },
    });
    expect((await app.request("/dev/mailbox")).status).toBe(404);
    await smtp.close();
  });
});
