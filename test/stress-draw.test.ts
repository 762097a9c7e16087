/**
 * A Stress Test of a draw drop (issue 17 §5): the rehearsal copy runs its own draw — its fans verify with
 * codes from the run's own mailbox, enter, the entries close, the draw ranks them, a third of winners never
 * pay so offers walk down the ranking, the rest pay through the rehearsal's payment path — and the receipt's
 * figures are the rehearsal's rows, read here with plain SQL. No mail reaches the app's mailer or mailbox.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Database } from "../src/db/database";
import { verifyDraw } from "../src/domain/fairness";
import type { Mailer } from "../src/domain/messages/mailer";
import * as repo from "../src/repository";
import type { Receipt } from "../src/stampede";
import { type LocalServer, startLocalServer } from "../src/stampede/local-server";
import { DAY_MS, isoFromNow } from "./support/clock";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { json } from "./support/shop-fixtures";
import { parseEvents } from "./support/sse-events";
import { TestBrowser } from "./web-seller-browser";

const QUANTITY = 6;
const FANS = 15;
const PASSWORD = "correct horse battery";

describe.each(ALL_BACKENDS)("on %s", (backend) => {
  describe.skipIf(!isAvailable(backend))("Stress Test of a draw drop", () => {
    let db: Database;
    let server: LocalServer;
    let seller: TestBrowser;
    let apiKey: string;
    const mailed: string[] = [];
    const mailer: Mailer = {
      mode: "smtp",
      async send(mail) {
        mailed.push(mail.to);
      },
      close: () => undefined,
    };

    beforeAll(async () => {
      db = await openTestDatabase(backend);
      server = await startLocalServer({
        db,
        logError: (error) => console.error(error),
        stressLimits: { runsPerHour: 1000, attemptsPerDay: 100_000_000 },
        rehearsalHoldSeconds: 3,
        holdSweepMs: 250,
        messages: { mailer },
      });
      const email = `draw-stress-${backend}@example.com`;
      const res = await server.app.request("/api/sellers", json({ email, password: PASSWORD, name: "Dora" }));
      apiKey = ((await res.json()) as { apiKey: string }).apiKey;
      seller = new TestBrowser(server.app, server.url);
      expect((await seller.signIn(email, PASSWORD)).status).toBe(303);
    }, 120_000);

    afterAll(async () => {
      await server?.close();
      await db?.close();
    });

    async function drawDrop(): Promise<{ id: string; slug: string }> {
      const res = await server.app.request(
        "/api/drops",
        json(
          {
            title: "Draw drop",
            priceCents: 4000,
            quantity: QUANTITY,
            maxPerFan: 1,
            holdMinutes: 10,
            verifiedFans: true,
            sale: "draw",
            startsAt: isoFromNow(DAY_MS),
            entriesCloseAt: isoFromNow(2 * DAY_MS),
          },
          { authorization: `Bearer ${apiKey}` },
        ),
      );
      expect(res.status).toBe(201);
      return ((await res.json()) as { drop: { id: string; slug: string } }).drop;
    }

    const start = async (slug: string) => {
      // The dashboard's card says what a draw drop's Stress Test rehearses.
      expect(await (await seller.get(`/seller/drops/${slug}`)).text()).toContain('id="stress-draw-mode"');
      const started = await seller.submit(`/seller/drops/${slug}`, `/seller/drops/${slug}/stress`, {
        attempts: String(FANS),
        concurrency: "4",
      });
      expect(started.status).toBe(303);
      return started.headers.get("location")!.split("/").pop()!;
    };

    test("rehearses the draw: entries, ranking, offers walking down, payments; the receipt is the database's", async () => {
      const drop = await drawDrop();
      const id = await start(drop.slug);
      const events = parseEvents(
        await (await seller.get(`/seller/drops/${drop.slug}/stress/${id}/events`)).text(),
      );
      const last = events.at(-1)!;
      expect(last.event).toBe("receipt");
      expect(JSON.parse(last.data)).toMatchObject({ status: "passed", verdict: "PASS" });
      // The watchable stream carried the draw's figures as it went.
      const drawn = events
        .filter((e) => e.event === "progress")
        .map((e) => (JSON.parse(e.data) as { draw?: { phase: string } }).draw?.phase);
      expect(drawn).toContain("offers");

      const row = (await repo.findStressTest(db, id))!;
      const receipt = JSON.parse(row.receiptJson!) as Receipt;
      expect(receipt.breaches).toEqual([]);
      const d = receipt.draw!;
      const rehearsal = row.rehearsalDropId;
      const one = async (sql: string) => (await db.query<{ n: number }>(sql, [rehearsal])).rows[0]!.n;
      const entries = await one("SELECT count(*)::int AS n FROM offer_queue WHERE drop_id = $1::uuid");
      const offered = await one(
        "SELECT count(*)::int AS n FROM offer_queue WHERE drop_id = $1::uuid AND order_id IS NOT NULL",
      );
      const paid = await one(
        "SELECT count(*)::int AS n FROM orders WHERE drop_id = $1::uuid AND status = 'paid'",
      );
      const held = await one(
        "SELECT count(*)::int AS n FROM orders WHERE drop_id = $1::uuid AND status = 'held'",
      );
      const lapsed = await one(
        "SELECT count(*)::int AS n FROM order_history WHERE drop_id = $1::uuid AND status = 'expired'",
      );
      expect(entries).toBe(FANS);
      expect(d).toMatchObject({
        fans: FANS,
        entries,
        entriesAcknowledged: FANS,
        winners: QUANTITY,
        offersMade: offered,
        paid,
        lapsed,
        leftovers: QUANTITY - paid,
        drawProblems: [],
      });
      expect(held).toBe(0);
      // A third of winners never paid: their holds lapsed and the offers walked down the ranking.
      expect(lapsed).toBeGreaterThanOrEqual(d.neverPaid);
      expect(offered).toBe(paid + lapsed);
      // Whatever the machine's speed (a fan too slow for its hold is one more lapse), the books add up.
      expect(paid).toBeLessThanOrEqual(QUANTITY);
      expect(offered).toBeGreaterThan(QUANTITY);
      if (paid < QUANTITY) expect(offered).toBe(FANS);
      expect(d.peakHeldOrPaid).toBeGreaterThan(0);
      expect(d.peakHeldOrPaid).toBeLessThanOrEqual(QUANTITY);
      expect(receipt.checkout).toMatchObject({ paid, expired: lapsed, doublePayments: 0, breaches: [] });
      // The rehearsal's public record checks out with draw:verify's own code, and its ranking is the order offered.
      const record = await (await server.app.request(`/api/drops/${rehearsal}/draw`)).json();
      expect(verifyDraw(record as never)).toEqual([]);
      // Every fan verified through the code step, and nothing reached the mailer or the mailbox.
      for (const r of (
        await db.query<{ fan_shown: string }>("SELECT fan_shown FROM offer_queue WHERE drop_id = $1::uuid", [
          rehearsal,
        ])
      ).rows)
        expect(r.fan_shown).toMatch(/@rehearsal\.invalid$/);
      expect(mailed).toEqual([]);
      expect(await repo.listMailbox(db, 10)).toEqual([]);
      // The receipt page shows the draw's figures.
      const page = await (await seller.get(`/seller/drops/${drop.slug}/stress/${id}`)).text();
      expect(page).toContain('id="receipt-draw"');
      expect(page).toMatch(new RegExp(`id="receipt-draw-entries">${FANS}<`));
    }, 300_000);

    test("a cancelled draw rehearsal says so on its receipt", async () => {
      const drop = await drawDrop();
      const id = await start(drop.slug);
      const cancelled = await seller.submit(
        `/seller/drops/${drop.slug}/stress/${id}`,
        `/seller/drops/${drop.slug}/stress/${id}/cancel`,
        {},
      );
      expect(cancelled.status).toBe(303);
      const events = parseEvents(
        await (await seller.get(`/seller/drops/${drop.slug}/stress/${id}/events`)).text(),
      );
      expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ status: "cancelled" });
      const row = (await repo.findStressTest(db, id))!;
      expect(row.status).toBe("cancelled");
      const receipt = JSON.parse(row.receiptJson!) as Receipt;
      expect(receipt).toMatchObject({ cancelled: true, breaches: [] });
      expect(receipt.draw!.peakHeldOrPaid).toBeLessThanOrEqual(QUANTITY);
    }, 300_000);
  });
});
