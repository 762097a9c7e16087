/**
 * Notify me (issue 17 §4): at go-live every confirmed fan gets exactly one email, through a real SMTP
 * receiver (smtp-server + mailparser), with two app instances on one database ticking their go-live
 * senders at once; unconfirmed signups get nothing, an unsubscribed address is skipped, the email carries
 * a one-click List-Unsubscribe, and nothing goes before go-live.
 */
import { createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { createSmtpMailer } from "../src/domain/messages/mailer";
import { HOUR_MS, testClock } from "./support/clock";
import { TEST_RETRY_POLICY } from "./support/contention";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { createDrop, createSeller, json } from "./support/shop-fixtures";
import { startSmtpReceiver } from "./support/smtp-receiver";

const FANS = 60;

describe.each(ALL_BACKENDS)("notify-me on %s", (backend) => {
  let db: Database;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  let first: ReturnType<typeof createApp>;
  let second: ReturnType<typeof createApp>;
  let apiKey: string;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    smtp = await startSmtpReceiver();
    db = await openTestDatabase(backend);
    // Two instances of the app on one database, as two processes behind a load balancer.
    const make = () =>
      createApp({
        db,
        retryPolicy: TEST_RETRY_POLICY,
        messages: { smtp: { url: smtp.url, from: "shop@example.com" } },
        logError: (e) => console.error(e),
      });
    first = make();
    second = make();
    ({ apiKey } = await createSeller(first));
  }, 120_000);

  afterAll(async () => {
    first?.messages.mailer.close();
    second?.messages.mailer.close();
    await smtp?.close();
    await db?.close();
  });

  const form = (fields: Record<string, string>): RequestInit => ({
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
    body: new URLSearchParams(fields).toString(),
  });

  it.skipIf(!isAvailable(backend))(
    "one email per confirmed fan at go-live, with two senders racing",
    async () => {
      const drop = await createDrop(first, apiKey, {
        startsAt: new Date(testClock() + HOUR_MS).toISOString(),
      });
      const emails = Array.from({ length: FANS }, (_, i) => `notify${i}@fans.test`);
      // Signups through both instances; one fan twice; the last five never confirm.
      for (const [i, email] of emails.entries()) {
        const app = i % 2 === 0 ? first : second;
        expect((await app.request(`/d/${drop.slug}/notify`, form({ email }))).status).toBe(201);
      }
      expect((await second.request(`/d/${drop.slug}/notify`, form({ email: emails[0]! }))).status).toBe(201);
      await Promise.all([first.notifyMe.settled(), second.notifyMe.settled()]);
      await expect.poll(() => smtp.accepted.length, { timeout: 30_000 }).toBe(FANS);
      const confirmations = smtp.accepted.splice(0);
      expect(new Set(confirmations.map((m) => m.to)).size).toBe(FANS);
      for (const mail of confirmations) {
        if (emails.indexOf(mail.to) >= FANS - 5) continue;
        const link = new URL(/https?:\/\/\S+\/notify\/confirm\?\S+/.exec(mail.text)![0]);
        expect((await first.request(`${link.pathname}${link.search}`)).status).toBe(200);
      }
      // One confirmed fan unsubscribes from everything that is not a receipt.
      await db.query("INSERT INTO mail_suppressions (address) VALUES ($1::text)", [emails[1]]);

      // Before go-live nothing goes.
      expect(await first.notifyMe.tick()).toBe(0);
      expect(smtp.accepted).toHaveLength(0);

      // Go-live (on the database clock), then both senders at once until nothing is left.
      await db.query("UPDATE drops SET starts_at = now() WHERE id = $1::uuid", [drop.id]);
      let sent = 0;
      for (let pass = 0; pass < 100; pass++) {
        const [a, b] = await Promise.all([first.notifyMe.tick(), second.notifyMe.tick()]);
        sent += a + b;
        const { rows } = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM notify_signups
           WHERE drop_id = $1::uuid AND confirmed_at IS NOT NULL AND notified_at IS NULL`,
          [drop.id],
        );
        if (rows[0]!.n === 0) break;
      }
      const expected = emails.slice(0, FANS - 5).filter((e) => e !== emails[1]);
      expect(sent).toBe(expected.length);
      await expect.poll(() => smtp.accepted.length, { timeout: 30_000 }).toBe(expected.length);
      expect(smtp.accepted.map((m) => m.to).sort()).toEqual([...expected].sort());
      const mail = smtp.accepted[0]!;
      expect(mail.subject).toContain("is live");
      expect(mail.text).toContain(`/d/${drop.slug}`);
      expect(mail.headers.get("list-unsubscribe")).toMatch(/^<https?:\/\/\S+\/unsubscribe\?/);
      expect(mail.headers.get("list-unsubscribe-post")).toBe("List-Unsubscribe=One-Click");

      // Later passes send nothing more.
      expect(await first.notifyMe.tick()).toBe(0);
      expect(await second.notifyMe.tick()).toBe(0);
    },
    300_000,
  );
});

/**
 * "Without slowing the go-live itself": the go-live emails go out on the sender's own loop, so a mail server
 * that takes its time holds up only that loop. Here it never answers at all (a TCP server that never greets,
 * the real SMTP mailer with an hour's timeout), the sender is mid-send with its signups leased, and the
 * drop sells at go-live meanwhile.
 */
describe("notify-me at go-live while the mail server stalls", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    db = await openTestDatabase("pglite");
    app = createApp({
      db,
      retryPolicy: TEST_RETRY_POLICY,
      messages: { mailer: createSmtpMailer(`smtp://127.0.0.1:${port}`, "shop@example.com", 3_600_000) },
      logError: (e) => console.error(e),
    });
  }, 120_000);
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    if (silent.listening) silent.close();
    app?.messages.mailer.close();
    await db?.close();
  });

  it("the drop sells at go-live while the sender waits on the mail server", async () => {
    const { apiKey } = await createSeller(app);
    const drop = await createDrop(app, apiKey, {
      quantity: 3,
      startsAt: new Date(testClock() + HOUR_MS).toISOString(),
    });
    for (const email of ["a@fans.test", "b@fans.test"]) {
      const res = await app.request(`/d/${drop.slug}/notify`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
        body: new URLSearchParams({ email }).toString(),
      });
      expect(res.status).toBe(201);
    }
    // Confirmed (their links were never delivered: the server is silent), then go-live.
    await db.query("UPDATE notify_signups SET confirmed_at = now() WHERE drop_id = $1::uuid", [drop.id]);
    await db.query("UPDATE drops SET starts_at = now() WHERE id = $1::uuid", [drop.id]);

    let sent: number | undefined;
    const pass = app.notifyMe.tick().then((n) => {
      sent = n;
    });
    const leased = async () =>
      (
        await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM notify_signups WHERE drop_id = $1::uuid AND lease_owner IS NOT NULL",
          [drop.id],
        )
      ).rows[0]!.n;
    await expect.poll(leased, { timeout: 30_000 }).toBe(2);

    for (const fan of ["x@fans.test", "y@fans.test", "z@fans.test"]) {
      const bought = await app.request(`/api/drops/${drop.id}/purchase`, json({ fan }));
      expect(bought.status).toBe(201);
    }
    expect(sent).toBeUndefined(); // the sender is still waiting on the mail server
    // The server goes away (no new connection is taken, the open ones drop): the pass ends.
    await new Promise<void>((resolve) => {
      silent.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    await pass;
    expect(sent).toBe(0); // nothing sent; the signups are left to be tried again
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM notify_signups WHERE drop_id = $1::uuid AND notified_at IS NULL",
      [drop.id],
    );
    expect(rows[0]!.n).toBe(2);
  });
});
