import { randomUUID } from "node:crypto";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { browserSite } from "./support/chromium";

/**
 * Checkout in a real Chromium (issue 11): a fan wins a hold, sees the countdown and lets it run out; the
 * unit comes back on another fan's open page (the sweep, the live counter, the page reloading for a buy
 * box), who wins it, pays with the test card and gets the receipt; the first fan's box says the hold ran out.
 */
const SHOTS = "test-results/browser-checkout";
const PHONE = { width: 360, height: 740 };

describe("checkout in Chromium", () => {
  const site = browserSite("pglite", SHOTS, { holdSweepMs: 200 });
  const it_ = site.run ? it : it.skip;

  async function fanPage(path: string): Promise<Page> {
    const context = await site.browser.newContext({ viewport: PHONE, timezoneId: "UTC" });
    const page = await context.newPage();
    await page.goto(`${site.baseUrl}${path}`);
    return page;
  }

  it_(
    "a hold runs out, the unit reappears for another fan, who pays and gets the receipt",
    async () => {
      const signUp = await fetch(`${site.baseUrl}/api/sellers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          email: `hold-${randomUUID()}@example.com`,
          password: "a long password",
          name: "Hold",
        }),
      });
      const { apiKey } = (await signUp.json()) as { apiKey: string };
      const seller = await site.app.shop.sellerByApiKey(apiKey);
      const drop = await site.app.shop.createDrop(seller, {
        title: "Last Tee",
        description: "",
        priceCents: 2500,
        currency: "USD",
        quantity: 1,
        maxPerFan: 1,
        holdSeconds: 3,
      });

      const first = await fanPage(`/d/${drop.slug}`);
      await first.locator("#fan").fill("first@example.com");
      await first.locator("#buy-button").click();
      await first.locator("[data-outcome=held]").waitFor();
      expect(await first.locator("#hold-countdown .countdown-clock").textContent()).toMatch(/^00:0[0-3]$/);
      await site.shot(first, "held");

      const second = await fanPage(`/d/${drop.slug}`);
      expect(await second.locator("#drop-state [data-status]").getAttribute("data-status")).toBe("sold_out");
      // The hold runs out; the sweep returns the unit; the counter says so and the page offers a buy box.
      await second.locator("#buy-button").waitFor({ timeout: 20_000 });
      await second.locator("#fan").fill("second@example.com");
      await second.locator("#buy-button").click();
      await second.locator("[data-outcome=held]").waitFor();
      await second.locator("#card").fill("4242 4242 4242 4242");
      await second.locator("#pay-button").click();
      await second.locator("[data-outcome=bought]").waitFor();
      expect(await second.locator(".receipt-unit b").textContent()).toBe("#1");
      await site.shot(second, "paid");

      await first.locator("[data-outcome=hold_expired]").waitFor({ timeout: 10_000 });
      await site.shot(first, "expired");
    },
    60_000,
  );
});
