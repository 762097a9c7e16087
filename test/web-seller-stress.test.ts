import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { stressLimitsFor } from "../src/domain/stress-test/stress-limits";
import * as repo from "../src/repository";
import type { Receipt } from "../src/stampede";
import { type LocalServer, startLocalServer } from "../src/stampede/local-server";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { parseEvents, type StreamEvent } from "./support/sse-events";
import { TestBrowser } from "./web-seller-browser";

// The runs cross a real socket (startLocalServer sets selfUrl); the seller's own requests go through
// app.request with a cookie-keeping browser, like the other seller page tests.
describe.each(ALL_BACKENDS)("on %s", (backend) => {
  describe.skipIf(!isAvailable(backend))("Stress Test", () => {
    let db: Database;
    let server: LocalServer;
    let ada: TestBrowser;
    let bo: TestBrowser;
    const errors: unknown[] = [];

    const dropForm = {
      title: "Winter Sneaker",
      description: "Thirty pairs.",
      price: "25.00",
      currency: "usd",
      quantity: "30",
      maxPerFan: "1",
      startsAt: "2030-01-15T18:00",
      timeZone: "UTC",
    };

    async function newDrop(browser: TestBrowser, fields: Partial<typeof dropForm> = {}): Promise<string> {
      const res = await browser.submit("/seller/drops/new", "/seller/drops", { ...dropForm, ...fields });
      expect(res.status).toBe(303);
      return res.headers.get("location")!.replace("/seller/drops/", "");
    }

    async function start(browser: TestBrowser, slug: string, attempts: string, concurrency: string) {
      return browser.submit(`/seller/drops/${slug}`, `/seller/drops/${slug}/stress`, {
        attempts,
        concurrency,
      });
    }

    async function startedId(browser: TestBrowser, slug: string, attempts: string, concurrency: string) {
      const res = await start(browser, slug, attempts, concurrency);
      expect(res.status).toBe(303);
      const location = res.headers.get("location")!;
      expect(location).toMatch(new RegExp(`^/seller/drops/${slug}/stress/[0-9a-f-]{36}$`));
      return location.split("/").pop()!;
    }

    /** Follows the run's event stream to its end (the stream closes after the receipt). */
    async function follow(browser: TestBrowser, slug: string, id: string): Promise<StreamEvent[]> {
      const res = await browser.get(`/seller/drops/${slug}/stress/${id}/events`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      return parseEvents(await res.text());
    }

    async function stored(id: string) {
      const row = (await repo.findStressTest(db, id))!;
      return { row, receipt: JSON.parse(row.receiptJson ?? "null") as Receipt | null };
    }

    beforeAll(async () => {
      db = await openTestDatabase(backend);
      // The backend's own attempt and concurrency limits; quotas wide enough for every run in this file.
      server = await startLocalServer({
        db,
        logError: (error) => errors.push(error),
        stressLimits: { runsPerHour: 1000, attemptsPerDay: 100_000_000 },
      });
      ada = new TestBrowser(server.app, server.url);
      bo = new TestBrowser(server.app, server.url);
      await ada.signUp({ name: "Ada", email: "ada@example.com", password: "correct horse battery" });
      await bo.signUp({ name: "Bo", email: "bo@example.com", password: "correct horse battery" });
    });

    afterAll(async () => {
      await server?.close();
      await db?.close();
    });

    test("the dashboard offers a run long enough to watch: 1,000 attempts, 50 at a time, for 30 units", async () => {
      const slug = await newDrop(ada);
      const html = await (await ada.get(`/seller/drops/${slug}`)).text();
      expect(html).toContain('<h2 id="stress-heading">Stress Test</h2>');
      expect(html).toContain(`action="/seller/drops/${slug}/stress"`);
      expect(html).toContain('name="attempts" type="number" value="1000"');
      expect(html).toContain('name="concurrency" type="number" value="50"');
      expect(html).toContain("No Stress Tests yet.");
    });

    test("a run buys a rehearsal copy over HTTP, streams progress and ends on the audit's PASS receipt", async () => {
      const slug = await newDrop(ada);
      const drop = await server.app.shop.findDrop(slug);
      const id = await startedId(ada, slug, "150", "20");

      const events = await follow(ada, slug, id);
      const progress = events.filter((e) => e.event === "progress").map((e) => JSON.parse(e.data));
      expect(progress.length).toBeGreaterThan(0);
      // Throttled: far fewer events than answers.
      expect(progress.length).toBeLessThan(60);
      const end = progress.at(-1);
      expect(end).toMatchObject({ answered: 150, attempts: 150, won: 30, errors: 0 });
      // Contention past the retry budget may answer "busy" (never "sold out" while stock is left).
      expect(end.soldOut + end.busy).toBe(120);
      const lit = new Map<number, number>();
      for (const p of progress)
        for (let i = 0; i < p.tiles.length; i += 2) lit.set(p.tiles[i], p.tiles[i + 1]);
      expect([...lit.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
      expect([...lit.values()].every((count) => count === 1)).toBe(true);
      const last = events.at(-1)!;
      expect(last.event).toBe("receipt");
      const final = JSON.parse(last.data) as { status: string; verdict: string; html: string };
      expect(final).toMatchObject({ status: "passed", verdict: "PASS" });
      expect(final.html).toContain('<dd id="receipt-sold">30 of 30</dd>');

      const { row, receipt } = await stored(id);
      expect(row).toMatchObject({ status: "passed", attempts: 150, concurrency: 20, dropId: drop.id });
      expect(receipt).toMatchObject({
        verdict: "PASS",
        breaches: [],
        attempts: 150,
        quantity: 30,
        sold: 30,
        oversold: 0,
        duplicateUnits: 0,
        acknowledgedWins: 30,
        orderRows: 30,
        backend: `${db.backend} (${db.isolation})`,
      });
      expect(receipt!.drop.id).toBe(row.rehearsalDropId);
      expect(receipt!.latencyMs.win.count).toBe(30);
      expect(receipt!.latencyMs.rejection.count + receipt!.latencyMs.busy.count).toBe(120);

      // Real stock untouched; the copy is a rehearsal of this drop, out of the list and the revenue.
      expect(await repo.auditDrop(db, drop.id)).toMatchObject({ sold: 0, remaining: 30 });
      const rehearsal = await server.app.shop.findDrop(row.rehearsalDropId);
      expect(rehearsal).toMatchObject({ isRehearsal: true, quantity: 30, maxPerFan: 1, priceCents: 2500 });
      const { rows } = await db.query<{ rehearsal_of: string }>(
        "SELECT rehearsal_of FROM drops WHERE id = $1::uuid",
        [rehearsal.id],
      );
      expect(rows[0]!.rehearsal_of).toBe(drop.id);
      const list = await (await ada.get("/seller/drops")).text();
      expect(list).not.toContain(rehearsal.slug);
      expect(list).toContain(`id="drop-${slug}"`);
      expect(await repo.sumSellerRevenue(db, drop.sellerId)).toEqual([]);

      // The receipt page and the dashboard's list of receipts.
      const page = await (await ada.get(`/seller/drops/${slug}/stress/${id}`)).text();
      expect(page).toContain('<dd id="receipt-oversold">0</dd>');
      expect(page).toContain('<dd id="receipt-wins">30 wins, 30 order rows</dd>');
      expect(page).not.toContain('http-equiv="refresh"');
      const dashboard = await (await ada.get(`/seller/drops/${slug}`)).text();
      expect(dashboard).toContain(`id="stress-${id}"`);
      expect(dashboard).toMatch(/<span class="badge live">PASS<\/span><\/td><td>30 of 30<\/td><td>0<\/td>/);
    });

    test("one run per seller at a time; a cancelled run still ends on a receipt of what was sent", async () => {
      const slug = await newDrop(ada);
      const id = await startedId(ada, slug, String(stressLimitsFor(db.backend).maxAttempts), "4");

      const second = await start(ada, slug, "150", "20");
      expect(second.status).toBe(409);
      const html = await second.text();
      expect(html).toContain("A Stress Test is already running for your shop.");
      expect(html).toContain(`href="/seller/drops/${slug}/stress/${id}"`);

      // While it runs, the page without JavaScript refreshes itself and shows the counts.
      const running = await (await ada.get(`/seller/drops/${slug}/stress/${id}`)).text();
      expect(running).toContain('<noscript><meta http-equiv="refresh" content="2"></noscript>');
      expect(running).toContain('id="count-won"');
      expect(running).toContain('aria-live="polite"');

      expect((await ada.post(`/seller/drops/${slug}/stress/${id}/cancel`, {})).status).toBe(403);
      const cancel = await ada.submit(
        `/seller/drops/${slug}/stress/${id}`,
        `/seller/drops/${slug}/stress/${id}/cancel`,
        {},
      );
      expect(cancel.status).toBe(303);
      const events = await follow(ada, slug, id);
      expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ status: "cancelled" });

      const { row, receipt } = await stored(id);
      expect(row.status).toBe("cancelled");
      expect(receipt).toMatchObject({
        cancelled: true,
        attemptsPlanned: stressLimitsFor(db.backend).maxAttempts,
        oversold: 0,
        duplicateUnits: 0,
      });
      expect(receipt!.attempts).toBeLessThan(stressLimitsFor(db.backend).maxAttempts);
      expect(receipt!.orderRows).toBe(receipt!.acknowledgedWins);

      // Free again once it ended.
      const next = await startedId(ada, slug, "30", "5");
      expect(JSON.parse((await follow(ada, slug, next)).at(-1)!.data)).toMatchObject({ status: "passed" });
    });

    test("another process on the same database sees the run as running elsewhere and leaves it be", async () => {
      const slug = await newDrop(ada);
      const id = await startedId(ada, slug, String(stressLimitsFor(db.backend).maxAttempts), "2");
      // A second app on the same database, as a second server process would be, with Ada's session.
      const other = new TestBrowser(
        createApp({ db, logError: (error) => errors.push(error), selfUrl: () => server.url }),
        server.url,
      );
      for (const [name, value] of ada.cookies) other.cookies.set(name, value);

      const page = await (await other.get(`/seller/drops/${slug}/stress/${id}`)).text();
      expect(page).toContain('<span id="stress-status">Running</span>');
      expect(page).toContain("driven by another server process");
      const events = parseEvents(await (await other.get(`/seller/drops/${slug}/stress/${id}/events`)).text());
      expect(events).toEqual([{ event: "elsewhere", data: id }]);
      expect((await other.get(`/seller/drops/${slug}`)).status).toBe(200);
      expect(
        (
          await other.submit(`/seller/drops/${slug}`, `/seller/drops/${slug}/stress`, {
            attempts: "30",
            concurrency: "5",
          })
        ).status,
      ).toBe(409);
      const cancelThere = await other.submit(
        `/seller/drops/${slug}/stress/${id}`,
        `/seller/drops/${slug}/stress/${id}/cancel`,
        {},
      );
      expect(cancelThere.status).toBe(503);
      expect((await stored(id)).row.status).toBe("running");

      await ada.submit(`/seller/drops/${slug}/stress/${id}`, `/seller/drops/${slug}/stress/${id}/cancel`, {});
      expect(JSON.parse((await follow(ada, slug, id)).at(-1)!.data)).toMatchObject({ status: "cancelled" });
    });

    test("only the owner can start, watch, cancel or read one", async () => {
      const slug = await newDrop(ada);
      const id = await startedId(ada, slug, "30", "5");
      await follow(ada, slug, id);
      expect((await bo.get(`/seller/drops/${slug}/stress`)).status).toBe(404);
      expect((await bo.get(`/seller/drops/${slug}/stress/${id}`)).status).toBe(404);
      expect((await bo.get(`/seller/drops/${slug}/stress/${id}/events`)).status).toBe(404);
      const boSlug = await newDrop(bo);
      // Bo's own drop does not open Ada's test either.
      expect((await bo.get(`/seller/drops/${boSlug}/stress/${id}`)).status).toBe(404);
      const csrf = await bo.csrfFrom(`/seller/drops/${boSlug}`);
      expect((await bo.post(`/seller/drops/${slug}/stress/${id}/cancel`, { csrf })).status).toBe(404);
      expect(
        (await bo.post(`/seller/drops/${slug}/stress`, { csrf, attempts: "30", concurrency: "5" })).status,
      ).toBe(404);
      expect((await ada.get(`/seller/drops/${slug}/stress/not-a-uuid`)).status).toBe(404);
    });

    test("bad numbers come back with a reason next to each field, and nothing starts", async () => {
      const slug = await newDrop(ada);
      const drop = await server.app.shop.findDrop(slug);
      const limits = stressLimitsFor(db.backend);
      const res = await start(ada, slug, "0", "5000");
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain(
        '<p class="field-error" id="attempts-error">Purchase attempts must be at least 1</p>',
      );
      expect(html).toContain(
        `<p class="field-error" id="concurrency-error">Purchases at the same time must be at most ${limits.maxConcurrency.toLocaleString("en-US")}</p>`,
      );
      expect(html).toContain('value="5000"');
      const words = await start(ada, slug, "lots", "");
      expect(words.status).toBe(400);
      const wordsHtml = await words.text();
      expect(wordsHtml).toContain("Purchase attempts must be a whole number");
      expect(wordsHtml).toContain("Purchases at the same time is required");
      expect((await start(ada, slug, String(limits.maxAttempts + 1), "1")).status).toBe(400);
      expect(await repo.listStressTests(db, drop.id, 10)).toEqual([]);
      // Without the form token nothing is read at all.
      expect(
        (await ada.post(`/seller/drops/${slug}/stress`, { attempts: "30", concurrency: "5" })).status,
      ).toBe(403);
    });

    test("a rehearsal gets no Stress Test of its own", async () => {
      const slug = await newDrop(ada);
      const id = await startedId(ada, slug, "30", "5");
      await follow(ada, slug, id);
      const rehearsal = await server.app.shop.findDrop((await stored(id)).row.rehearsalDropId);
      const html = await (await ada.get(`/seller/drops/${rehearsal.slug}`)).text();
      expect(html).not.toContain('id="stress-test"');
      expect((await start(ada, rehearsal.slug, "30", "5")).status).toBe(400);
    });

    test("a run a stopped process left running is marked interrupted, and frees the seller", async () => {
      const slug = await newDrop(ada);
      const drop = await server.app.shop.findDrop(slug);
      const left = await repo.insertStressTest(db, {
        sellerId: drop.sellerId,
        dropId: drop.id,
        rehearsalDropId: drop.id,
        attempts: 10,
        concurrency: 1,
      });
      await db.query("UPDATE stress_tests SET heartbeat_at = now() - interval '1 hour' WHERE id = $1::uuid", [
        left.id,
      ]);
      const html = await (await ada.get(`/seller/drops/${slug}/stress/${left.id}`)).text();
      expect(html).toContain('<span id="stress-status">Interrupted</span>');
      expect(html).toContain("The server process running this test stopped before it finished.");
      expect((await stored(left.id)).row).toMatchObject({ status: "interrupted", receiptJson: null });
      const id = await startedId(ada, slug, "30", "5");
      await follow(ada, slug, id);
    });

    test("nothing went wrong on the server's side", () => {
      expect(errors).toEqual([]);
    });
  });
});

describe("Stress Test without a known address", () => {
  test("starting answers 503 with the reason, never a 500", async () => {
    const db = await openTestDatabase("pglite");
    try {
      const app = createApp({ db, logError: () => undefined });
      const ada = new TestBrowser(app);
      await ada.signUp({ name: "Ada", email: "ada@example.com", password: "correct horse battery" });
      const res = await ada.submit("/seller/drops/new", "/seller/drops", {
        title: "Cap",
        price: "10",
        currency: "USD",
        quantity: "3",
        maxPerFan: "1",
        startsAt: "2030-01-15T18:00",
        timeZone: "UTC",
      });
      const slug = res.headers.get("location")!.replace("/seller/drops/", "");
      const started = await ada.submit(`/seller/drops/${slug}`, `/seller/drops/${slug}/stress`, {
        attempts: "15",
        concurrency: "5",
      });
      expect(started.status).toBe(503);
      expect(await started.text()).toContain("does not know the address it listens on");
      const drop = await app.shop.findDrop(slug);
      expect(await repo.listStressTests(db, drop.id, 10)).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
