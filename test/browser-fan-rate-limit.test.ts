import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { axeViolations } from "./support/axe";
import { browserSite } from "./support/chromium";

/**
 * The purchase rate limit as a fan meets it in Chromium: a buy answered 429 says "too many tries, wait N s"
 * in the buy box (N from Retry-After), keeps the form (fan and idempotency key) with the button held until
 * the wait is over, and the next press buys. Before this, drop.js swapped only 400/409/503 answers and the
 * fan read "something went wrong on our side".
 */
const SHOTS = "test-results/browser-fan-rate-limit";

describe("the fan page under the purchase rate limit", () => {
  // One buy at once per address, one more every 2 s.
  const site = browserSite("pglite", SHOTS, { purchaseRateLimit: { perSecond: 0.5, burst: 1 } });
  const it_ = site.run ? it : it.skip;

  it_(
    "a 429 says how long to wait, holds the button that long, then the same form buys",
    async () => {
      const signUp = await fetch(`${site.baseUrl}/api/sellers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          email: `rl-${randomUUID()}@example.com`,
          password: "a long password",
          name: "RL",
        }),
      });
      const { apiKey } = (await signUp.json()) as { apiKey: string };
      const created = await fetch(`${site.baseUrl}/api/drops`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ title: "Patient Tee", priceCents: 1500, quantity: 5 }),
      });
      const { drop } = (await created.json()) as { drop: { slug: string } };

      const context = await site.browser.newContext({
        viewport: { width: 360, height: 740 },
        timezoneId: "UTC",
      });
      const page = await context.newPage();
      await page.goto(`${site.baseUrl}/d/${drop.slug}`);
      await page.locator("#fan").fill("patient@example.com");
      // Another tab on the same connection spends this address's one token.
      const spent = await fetch(`${site.baseUrl}/d/${drop.slug}/buy`, { method: "POST" });
      expect(spent.status).not.toBe(429);

      await page.locator("#buy-button").click();
      const note = page.locator("#purchase-result[data-outcome=rate_limited]");
      await note.waitFor();
      expect(await note.textContent()).toMatch(
        /^Too many tries from your connection — wait \d+ s, then try again\.$/,
      );
      expect(await page.locator("#buy-button").isDisabled()).toBe(true);
      expect(await page.locator("#buy-button").textContent()).toMatch(/^Wait \d+ s$/);
      expect(await page.locator("#fan").inputValue()).toBe("patient@example.com");
      await page.screenshot({ path: `${SHOTS}/pglite-rate-limited-360.png`, fullPage: true });
      expect(await axeViolations(page)).toEqual([]);

      await page
        .locator("#purchase-result", { hasText: "You can try again now." })
        .waitFor({ timeout: 15_000 });
      expect(await page.locator("#buy-button").isDisabled()).toBe(false);
      await page.locator("#buy-button").click();
      await page.locator("#purchase-result[data-outcome=bought]").waitFor();
      await context.close();
    },
    60_000,
  );
});
