/**
 * A Stress Test of a verified-fans drop (issue 17 §5): its rehearsal copy sells to verified fans only,
 * every rehearsal fan verifies through the code step with its code read from the run's own mailbox (the
 * dev mailbox and any SMTP server see nothing), and the receipt passes with every order a rehearsal address.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Database } from "../src/db/database";
import type { Mailer } from "../src/domain/messages/mailer";
import * as repo from "../src/repository";
import type { Receipt } from "../src/stampede";
import { type LocalServer, startLocalServer } from "../src/stampede/local-server";
import { DAY_MS, testClock } from "./support/clock";
import { openTestDatabase } from "./support/databases";
import { json } from "./support/shop-fixtures";
import { parseEvents } from "./support/sse-events";
import { TestBrowser } from "./web-seller-browser";

const QUANTITY = 20;
const PASSWORD = "correct horse battery";

describe("Stress Test of a verified-fans drop", () => {
  let db: Database;
  let server: LocalServer;
  let seller: TestBrowser;
  let apiKey: string;
  const mailed: string[] = [];
  /** Where the app's mail goes: a real inbox would be here, and must get nothing from a rehearsal. */
  const mailer: Mailer = {
    mode: "smtp",
    async send(mail) {
      mailed.push(mail.to);
    },
    close: () => undefined,
  };

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    server = await startLocalServer({
      db,
      logError: (error) => console.error(error),
      stressLimits: { runsPerHour: 1000, attemptsPerDay: 100_000_000 },
      messages: { mailer },
    });
    const email = "stress-verified@example.com";
    const res = await server.app.request("/api/sellers", json({ email, password: PASSWORD, name: "Vera" }));
    apiKey = ((await res.json()) as { apiKey: string }).apiKey;
    seller = new TestBrowser(server.app, server.url);
    expect((await seller.signIn(email, PASSWORD)).status).toBe(303);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  test("rehearses with verified fans, codes from the run's own mailbox, never a real inbox", async () => {
    const res = await server.app.request(
      "/api/drops",
      json(
        {
          title: "Verified drop",
          priceCents: 4000,
          quantity: QUANTITY,
          maxPerFan: 1,
          verifiedFans: true,
          startsAt: new Date(testClock() + DAY_MS).toISOString(),
        },
        { authorization: `Bearer ${apiKey}` },
      ),
    );
    const drop = ((await res.json()) as { drop: { slug: string } }).drop;
    const attempts = QUANTITY * 3;
    const started = await seller.submit(`/seller/drops/${drop.slug}`, `/seller/drops/${drop.slug}/stress`, {
      attempts: String(attempts),
      concurrency: "8",
    });
    expect(started.status).toBe(303);
    const id = started.headers.get("location")!.split("/").pop()!;
    const events = parseEvents(
      await (await seller.get(`/seller/drops/${drop.slug}/stress/${id}/events`)).text(),
    );
    const last = events.at(-1)!;
    expect(last.event).toBe("receipt");
    expect(JSON.parse(last.data)).toMatchObject({ status: "passed", verdict: "PASS" });

    const row = (await repo.findStressTest(db, id))!;
    const receipt = JSON.parse(row.receiptJson!) as Receipt;
    expect(receipt.breaches).toEqual([]);
    const rehearsal = await server.app.shop.currentDrop(row.rehearsalDropId);
    expect(rehearsal.verifiedFans).toBe(true);
    const { rows } = await db.query<{ fan_shown: string }>(
      "SELECT fan_shown FROM orders WHERE drop_id = $1::uuid",
      [row.rehearsalDropId],
    );
    expect(rows).toHaveLength(QUANTITY);
    for (const order of rows) expect(order.fan_shown).toMatch(/@rehearsal\.invalid$/);
    // Every fan verified through the code step (one code each), and no code went to the mailer or the mailbox.
    const { rows: codes } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM fan_codes", // a fresh database: only the rehearsal's fans asked
    );
    expect(codes[0]!.n).toBe(attempts);
    expect(mailed).toEqual([]);
    expect(await repo.listMailbox(db, 10)).toEqual([]);
  }, 300_000);
});
