import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database";
import * as repo from "../src/repository";
import type { Receipt } from "../src/stampede";
import { type LocalServer, startLocalServer } from "../src/stampede/local-server";
import { runWorkers } from "../src/stampede/workers";
import { parseStressSettings } from "../src/web/seller/seller-stress-forms";
import { openTestDatabase } from "./support/databases";
import { parseEvents } from "./support/sse-events";
import { TestBrowser } from "./web-seller-browser";

/**
 * The Stress Test's watchable pace (issue 18 §5 item 5): the attempts leave spread over time rather than all
 * at once. The pacing is injected as "attempt n not before time t(n)", so nothing here waits on the clock.
 */
describe("paced workers", () => {
  it("start no attempt before its time; a cancel while waiting counts only what started", async () => {
    const started: number[] = [];
    const controller = new AbortController();
    const far = performance.now() + 3_600_000;
    // Attempts 0-4 are due now, the rest in an hour: the workers wait for them, the cancel ends the wait.
    const run = runWorkers(
      20,
      8,
      async (i) => {
        started.push(i);
        if (started.length === 5) queueMicrotask(() => controller.abort());
      },
      controller.signal,
      (i) => (i < 5 ? 0 : far),
    );
    expect(await run).toBe(5);
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });

  it("start attempts in index order as their times come, whatever the number of workers", async () => {
    const started: number[] = [];
    const origin = performance.now();
    // Due times already passed but in a given order: every index still starts exactly once, in order.
    const sent = await runWorkers(
      12,
      4,
      async (i) => {
        started.push(i);
      },
      undefined,
      (i) => origin - 1000 + i,
    );
    expect(sent).toBe(12);
    expect(started).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });
});

describe("the Stress Test form's pace", () => {
  const form = { attempts: "100", concurrency: "10" };

  it("takes watch or fast, and runs flat out when a request names none", () => {
    expect(parseStressSettings({ ...form, pace: "watch" })).toEqual({
      ok: true,
      value: { attempts: 100, concurrency: 10, pace: "watch" },
    });
    expect(parseStressSettings({ ...form, pace: "fast" })).toMatchObject({
      ok: true,
      value: { pace: "fast" },
    });
    expect(parseStressSettings(form)).toMatchObject({ ok: true, value: { pace: "fast" } });
  });

  it("refuses any other pace with a reason, beside the numbers' own errors", () => {
    const parsed = parseStressSettings({ attempts: "", concurrency: "10", pace: "ludicrous" });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(Object.keys(parsed.errors).sort()).toEqual(["attempts", "pace"]);
    expect(parsed.errors.pace).toMatch(/how fast/);
  });
});

describe("a watchable Stress Test", () => {
  let db: Database;
  let server: LocalServer;
  let ada: TestBrowser;

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    // A watchable run spreads its attempts over an hour here: the first leaves at once, the second after 6 min.
    server = await startLocalServer({ db, logError: () => undefined, stressWatchMs: 3_600_000 });
    ada = new TestBrowser(server.app, server.url);
    await ada.signUp({ name: "Ada", email: "ada@example.com", password: "correct horse battery" });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it("sends its attempts spread out, shows them as they come, and its receipt covers what was sent", async () => {
    const created = await ada.submit("/seller/drops/new", "/seller/drops", {
      title: "Paced Sneaker",
      price: "25.00",
      currency: "usd",
      quantity: "5",
      maxPerFan: "1",
      startsAt: "2030-01-15T18:00",
      timeZone: "UTC",
    });
    expect(created.status).toBe(303);
    const slug = created.headers.get("location")!.replace("/seller/drops/", "");
    const page = await (await ada.get(`/seller/drops/${slug}`)).text();
    expect(page).toMatch(/<input type="radio" name="pace" value="watch" checked/);

    const started = await ada.submit(`/seller/drops/${slug}`, `/seller/drops/${slug}/stress`, {
      attempts: "10",
      concurrency: "5",
      pace: "watch",
    });
    expect(started.status).toBe(303);
    const runPath = started.headers.get("location")!;
    const id = runPath.split("/").pop()!;
    // The run page shows the first answer while the other nine wait for their turn.
    let html = "";
    for (let i = 0; i < 600 && !/id="stress-progress" max="10" value="1"/.test(html); i++) {
      html = await (await ada.get(runPath)).text();
      if (!/value="1"/.test(html)) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(html).toMatch(/id="stress-progress" max="10" value="1"/);
    expect(html).toContain('<span id="stress-status">Running</span>');

    await ada.submit(runPath, `${runPath}/cancel`, {});
    const events = parseEvents(await (await ada.get(`${runPath}/events`)).text());
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({
      status: "cancelled",
      verdict: "Cancelled (PASS)",
    });
    const row = (await repo.findStressTest(db, id))!;
    const receipt = JSON.parse(row.receiptJson!) as Receipt;
    expect(receipt).toMatchObject({
      attempts: 1,
      attemptsPlanned: 10,
      cancelled: true,
      sold: 1,
      oversold: 0,
    });
  });
});
