/**
 * The fan's queue box updates live (docs/draws.md "A live queue box"): the drop's one stream carries a "queue"
 * tick that moves when an offer is made, and the open page of a waiting fan re-fetches its own box when it
 * does, so their offer shows without a reload and without a request per page per second. Holds lapse by
 * moving their expiry into the past and sweeping: no sleeps; the page is waited on for a condition.
 */
import { describe, expect, it } from "vitest";
import { axeViolations } from "./support/axe";
import { browserSite } from "./support/chromium";
import { createDrop, createSeller, json } from "./support/shop-fixtures";
import { sseReader } from "./support/sse";

describe("a waiting fan's queue box, live", () => {
  const site = browserSite("pglite", "test-results/fairness-live-box");

  /** A one-unit hold drop held by one buyer (so sold out), with the hold's id. */
  async function heldDrop(title: string) {
    const { apiKey } = await createSeller(site.app);
    const drop = await createDrop(site.app, apiKey, { title, quantity: 1, holdMinutes: 1 });
    const bought = await site.app.request(
      `/api/drops/${drop.id}/purchase`,
      json({ fan: "holder@fans.test" }),
    );
    expect(bought.status).toBe(201);
    return drop;
  }
  /** The drop's held orders run out now; one sweep ends them and offers their units on. */
  const lapse = async (dropId: string) => {
    await site.app.shop.db.query(
      "UPDATE orders SET expires_at = now() - interval '1 second' WHERE drop_id = $1::uuid AND status = 'held'",
      [dropId],
    );
    await site.app.shop.checkout.sweep();
  };

  it.skipIf(!site.run)(
    "the stream's queue tick moves when an offer is made",
    async () => {
      const drop = await heldDrop("Tick tee");
      await site.app.request(`/api/drops/${drop.id}/waitlist`, json({ fan: "w@fans.test" }));
      const controller = new AbortController();
      const res = await fetch(`${site.baseUrl}/d/${drop.slug}/stream`, { signal: controller.signal });
      const events = sseReader(res.body!);
      const nextQueue = async () => {
        for (;;) {
          const event = await events.next();
          if (event === undefined) throw new Error("the stream ended");
          if (event.event === "queue") return Number(event.data);
        }
      };
      try {
        const before = await nextQueue();
        await lapse(drop.id);
        // One more offer made: the tick moves by two; the stream, sold out all along, stays open.
        expect(await nextQueue()).toBe(before + 2);
      } finally {
        controller.abort();
      }
    },
    60_000,
  );

  it.skipIf(!site.run)(
    "a waiting fan's open page shows their offer without a reload",
    async () => {
      const drop = await heldDrop("Live box tee");
      const context = await site.browser.newContext({ viewport: { width: 360, height: 740 } });
      try {
        const page = await context.newPage();
        await page.goto(`${site.baseUrl}/d/${drop.slug}`);
        await page.fill("#waitlist-fan", "waiting@fans.test");
        await page.click("#queue-box button[type=submit]");
        await expect
          .poll(() => page.locator("#queue-box .result-title").textContent())
          .toContain("number 1 in line");
        // The page is connected to the stream and has its baseline tick before the queue moves.
        await expect.poll(() => page.locator("#queue-tick").textContent(), { timeout: 30_000 }).not.toBe("");
        await page.evaluate("window.marker = true");
        await lapse(drop.id);
        await page.waitForSelector("#queue-box a.button", { timeout: 30_000 });
        expect(await page.locator("#queue-box").textContent()).toContain("It's yours: pay within the hold");
        // The same page, not a reload.
        expect(await page.evaluate("window.marker")).toBe(true);
        expect(await axeViolations(page)).toEqual([]);
        await site.shot(page, "offered-live-phone");
      } finally {
        await context.close();
      }
    },
    180_000,
  );

  it.skipIf(!site.run)(
    "a fan who joins a sold-out instant drop's waitlist on a page that had closed its stream sees the offer live",
    async () => {
      // An instant drop sold out is final when the page loads: no stream, until its fan joins the waitlist.
      const { apiKey } = await createSeller(site.app);
      const drop = await createDrop(site.app, apiKey, { title: "Instant live box", quantity: 1 });
      const bought = await site.app.request(
        `/api/drops/${drop.id}/purchase`,
        json({ fan: "first@fans.test" }),
      );
      expect(bought.status).toBe(201);
      const { order } = (await bought.json()) as { order: { id: string } };
      const context = await site.browser.newContext({ viewport: { width: 1280, height: 900 } });
      try {
        const page = await context.newPage();
        await page.goto(`${site.baseUrl}/d/${drop.slug}`);
        expect(await page.locator("[sse-connect]").count()).toBe(0);
        await page.fill("#waitlist-fan", "next@fans.test");
        await page.click("#queue-box button[type=submit]");
        await expect
          .poll(() => page.locator("#queue-box .result-title").textContent())
          .toContain("number 1 in line");
        // The page opened the stream for the queue's tick and has its baseline before the queue moves.
        await expect.poll(() => page.locator("#queue-tick").textContent(), { timeout: 30_000 }).not.toBe("");
        await page.evaluate("window.marker = true");
        // The seller cancels the first order: its unit comes back and is offered to the waitlist.
        const cancelled = await site.app.request(`/api/orders/${order.id}/cancel`, {
          method: "POST",
          headers: { authorization: `Bearer ${apiKey}` },
        });
        expect(cancelled.status).toBe(200);
        await page.waitForSelector("#queue-box a.button", { timeout: 30_000 });
        expect(await page.locator("#queue-box").textContent()).toContain("It's yours: claim within the hold");
        expect(await page.evaluate("window.marker")).toBe(true);
        expect(await axeViolations(page)).toEqual([]);
      } finally {
        await context.close();
      }
    },
    180_000,
  );
});
