import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AppDeps } from "../src/app";
import type { Database } from "../src/db/database";
import type { StressLimits } from "../src/domain/stress-test/stress-limits";
import { stressLimitsFor } from "../src/domain/stress-test/stress-limits";
import * as repo from "../src/repository";
import { createLiveDrop, createSellerAccount } from "../src/stampede";
import { type LocalServer, startLocalServer } from "../src/stampede/local-server";
import { isAvailable, openTestDatabase, type TestBackend } from "./support/databases";
import { TestBrowser } from "./web-seller-browser";

/**
 * Finding 1 of the outside attack (a Stress Test as denial of service) and the isolation of [5]: quotas
 * counted in the database, a per-process cap, limits scaled to the backend, a second start refused at
 * once, and live requests answered while a rehearsal runs. Several servers share one database, as
 * several processes of one shop would; a seller signed up once is signed in on all of them.
 */
const GENEROUS: Partial<StressLimits> = { runsPerHour: 1000, attemptsPerDay: 100_000_000 };

describe.each(["pglite", "postgres-read-committed"] as TestBackend[])("on %s", (backend) => {
  describe.skipIf(!isAvailable(backend))("Stress Test limits and isolation", () => {
    let db: Database;
    const servers: LocalServer[] = [];
    const errors: unknown[] = [];
    let home: TestBrowser;
    let cookies: Map<string, string>;
    let bo: Map<string, string>;

    /** Another server process on the same database, with these limits, and a browser signed in as `who`. */
    async function serverWith(limits: Partial<StressLimits>, who = cookies, extra: Partial<AppDeps> = {}) {
      const server = await startLocalServer({
        db,
        logError: (e) => errors.push(e),
        stressLimits: limits,
        ...extra,
      });
      servers.push(server);
      const browser = new TestBrowser(server.app, server.url);
      for (const [name, value] of who) browser.cookies.set(name, value);
      return { server, browser };
    }

    async function newDrop(browser: TestBrowser, quantity = 30): Promise<string> {
      return browser.createDrop({
        title: "Limit Kicks",
        description: "Limited.",
        quantity: String(quantity),
      });
    }

    const start = (browser: TestBrowser, slug: string, attempts: number, concurrency: number) =>
      browser.submit(`/seller/drops/${slug}`, `/seller/drops/${slug}/stress`, {
        attempts: String(attempts),
        concurrency: String(concurrency),
      });

    async function started(browser: TestBrowser, slug: string, attempts: number, concurrency: number) {
      const res = await start(browser, slug, attempts, concurrency);
      expect(res.status).toBe(303);
      return res.headers.get("location")!.split("/").pop()!;
    }

    async function cancelAndWait(browser: TestBrowser, slug: string, id: string) {
      const base = `/seller/drops/${slug}/stress/${id}`;
      expect((await browser.submit(base, `${base}/cancel`, {})).status).toBe(303);
      await (await browser.get(`${base}/events`)).text(); // the stream ends with the receipt
      return (await repo.findStressTest(db, id))!;
    }

    /** A finished run recorded by some other process `minutesAgo` ago. */
    async function pastRun(sellerId: string, dropId: string, attempts: number, minutesAgo = 5) {
      const row = await repo.insertStressTest(db, {
        sellerId,
        dropId,
        rehearsalDropId: dropId,
        attempts,
        concurrency: 1,
      });
      await repo.finishStressTest(db, row.id, { status: "passed", receiptJson: null, problem: null });
      await db.query(
        "UPDATE stress_tests SET created_at = now() - $2::int * interval '1 minute' WHERE id = $1::uuid",
        [row.id, minutesAgo],
      );
    }

    beforeAll(async () => {
      db = await openTestDatabase(backend);
      const first = await serverWith(GENEROUS, new Map());
      home = first.browser;
      await home.signUp({ name: "Ada", email: "ada@example.com", password: "correct horse battery" });
      cookies = new Map(home.cookies);
      const other = new TestBrowser(first.server.app, first.server.url);
      await other.signUp({ name: "Bo", email: "bo@example.com", password: "correct horse battery" });
      bo = new Map(other.cookies);
    });

    afterAll(async () => {
      for (const server of servers) await server.close();
      await db?.close();
    });

    test("the embedded database gets far smaller limits than PostgreSQL, and the form enforces them", async () => {
      const mine = stressLimitsFor(db.backend);
      const server = stressLimitsFor("postgres");
      if (db.backend === "pglite") {
        expect(mine.maxAttempts * 10).toBeLessThanOrEqual(server.maxAttempts);
        expect(mine.maxConcurrency * 5).toBeLessThanOrEqual(server.maxConcurrency);
        expect(mine.maxRunning).toBeLessThan(server.maxRunning);
      }
      const slug = await newDrop(home);
      const res = await start(home, slug, mine.maxAttempts + 1, mine.maxConcurrency + 1);
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain(`must be at most ${mine.maxAttempts.toLocaleString("en-US")}`);
      expect(html).toContain(`must be at most ${mine.maxConcurrency.toLocaleString("en-US")}`);
      expect(html).toContain(`Up to ${mine.maxAttempts.toLocaleString("en-US")} on this server.`);
    });

    test("runs per hour are counted in the database: runs another process made count, and the refusal says when", async () => {
      const { server, browser } = await serverWith({ ...GENEROUS, runsPerHour: 2 });
      const slug = await newDrop(browser);
      const drop = await server.app.shop.findDrop(slug);
      await pastRun(drop.sellerId, drop.id, 10, 50);
      await pastRun(drop.sellerId, drop.id, 10, 70); // outside the hour: not counted
      const id = await started(browser, slug, 30, 5);
      await (await browser.get(`/seller/drops/${slug}/stress/${id}/events`)).text();
      await pastRun(drop.sellerId, drop.id, 10, 1);

      const refused = await start(browser, slug, 30, 5);
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      const html = await refused.text();
      expect(html).toContain("You have started 3 Stress Tests in the last hour");
      expect(html).toContain("(2 an hour)");
      expect((await repo.listStressTests(db, drop.id, 10)).filter((t) => t.status === "running")).toEqual([]);
    });

    test("attempts per day are counted in the database; a run that would go over is refused, a smaller one starts", async () => {
      const { server, browser } = await serverWith({ ...GENEROUS, attemptsPerDay: 100 }, bo);
      const slug = await newDrop(browser);
      const drop = await server.app.shop.findDrop(slug);
      await pastRun(drop.sellerId, drop.id, 70, 60 * 20);
      const refused = await start(browser, slug, 31, 5);
      expect(refused.status).toBe(429);
      expect(await refused.text()).toContain("at most 30 are left now");
      const id = await started(browser, slug, 30, 5);
      await (await browser.get(`/seller/drops/${slug}/stress/${id}/events`)).text();
      expect((await repo.findStressTest(db, id))!.status).toBe("passed");
    });

    test("a process runs at most its cap of Stress Tests at once; another seller is told at once, with Retry-After", async () => {
      const { browser: ada } = await serverWith({ ...GENEROUS, maxRunning: 1 });
      const adaSlug = await newDrop(ada);
      const id = await started(ada, adaSlug, stressLimitsFor(db.backend).maxAttempts, 2);
      const boBrowser = new TestBrowser(servers.at(-1)!.app, servers.at(-1)!.url);
      for (const [name, value] of bo) boBrowser.cookies.set(name, value);
      const boSlug = await newDrop(boBrowser);

      const refused = await start(boBrowser, boSlug, 30, 5);
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("30");
      expect(await refused.text()).toContain("This server is already running a Stress Test");
      expect((await repo.findStressTest(db, id))!.status).toBe("running");
      expect((await cancelAndWait(ada, adaSlug, id)).status).toBe("cancelled");
      // Free once it ended.
      const next = await started(boBrowser, boSlug, 30, 5);
      await (await boBrowser.get(`/seller/drops/${boSlug}/stress/${next}/events`)).text();
    });

    test("a second start while a run goes answers at once with one run at a time, and the run goes on", async () => {
      const { browser } = await serverWith(GENEROUS);
      const limits = stressLimitsFor(db.backend);
      const slug = await newDrop(browser, 500);
      const id = await started(browser, slug, limits.maxAttempts, limits.maxConcurrency);
      const second = await start(browser, slug, 30, 5);
      expect(second.status).toBe(409);
      expect(await second.text()).toContain("A Stress Test is already running for your shop.");
      // Answered while the first was still running, not after it.
      expect((await repo.findStressTest(db, id))!.status).toBe("running");
      const cancelled = await cancelAndWait(browser, slug, id);
      const receipt = JSON.parse(cancelled.receiptJson!);
      expect(receipt).toMatchObject({ verdict: "PASS", oversold: 0, duplicateUnits: 0, cancelled: true });
    });

    test("live requests are answered while a rehearsal runs at full concurrency, and a live purchase succeeds", async () => {
      const { server, browser } = await serverWith(GENEROUS);
      const limits = stressLimitsFor(db.backend);
      const slug = await newDrop(browser, 1000);
      // Another seller's drop, live now, made through the JSON API.
      const live = await createLiveDrop(server.url, await createSellerAccount(server.url), 5);
      const id = await started(browser, slug, limits.maxAttempts, limits.maxConcurrency);
      // Wait until the rehearsal is really buying.
      for (let answered = 0; answered < 50; ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        answered = Number(
          /id="stress-progress" max="\d+" value="(\d+)"/.exec(
            await (await browser.get(`/seller/drops/${slug}/stress/${id}`)).text(),
          )?.[1] ?? 0,
        );
      }
      const health = await Promise.all(Array.from({ length: 20 }, () => fetch(`${server.url}/healthz`)));
      expect(health.map((res) => res.status)).toEqual(Array(20).fill(200));
      const bought = await fetch(`${server.url}/api/drops/${live.id}/purchase`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": "live-fan-1" },
        body: JSON.stringify({ fan: "live-fan" }),
      });
      expect(bought.status).toBe(201);
      expect(((await bought.json()) as { order: { unitNo: number } }).order.unitNo).toBeGreaterThan(0);
      // All of that while the rehearsal was still running.
      expect((await repo.findStressTest(db, id))!.status).toBe("running");
      const cancelled = await cancelAndWait(browser, slug, id);
      expect(JSON.parse(cancelled.receiptJson!)).toMatchObject({ verdict: "PASS", oversold: 0 });
    });

    test("nothing went wrong on the server's side", () => {
      expect(errors).toEqual([]);
    });
  });
});
