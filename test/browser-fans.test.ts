/**
 * Verified fans in a real browser (Chromium): on a verified-fans drop the buy box asks "Get ready: confirm
 * your email", the code step swaps in place (htmx), the HttpOnly cookie survives a reload, and buying is
 * then one click. Screenshots at phone and desktop size; axe-core at zero violations.
 */
import { describe, expect, it } from "vitest";
import * as repo from "../src/repository";
import { axeViolations } from "./support/axe";
import { browserSite } from "./support/chromium";
import { createSeller, json } from "./support/shop-fixtures";

describe("verified fans in the browser", () => {
  const site = browserSite("pglite", "test-results/browser-fans");

  it.skipIf(!site.run)(
    "confirms an email with a code, keeps it in a cookie, buys in one click",
    async () => {
      const { apiKey } = await createSeller(site.app);
      const res = await site.app.request(
        "/api/drops",
        json(
          { title: "Tour hoodie", priceCents: 6500, quantity: 40, verifiedFans: true },
          { authorization: `Bearer ${apiKey}` },
        ),
      );
      const drop = ((await res.json()) as { drop: { slug: string } }).drop;
      const context = await site.browser.newContext({ viewport: { width: 360, height: 740 } });
      try {
        const page = await context.newPage();
        await page.goto(`${site.baseUrl}/d/${drop.slug}`);
        await expect
          .poll(() => page.locator(".verify .result-title").textContent())
          .toBe("Get ready: confirm your email");
        expect(await axeViolations(page)).toEqual([]);
        await site.shot(page, "verify-email-phone");

        await page.fill("#verify-email", "lena@example.com");
        await page.click("#verify-button");
        await page.waitForSelector('[data-step="code"]', { timeout: 30_000 });
        await site.app.fans.settled();
        const mail = (await repo.listMailbox(site.app.shop.db, 10)).find(
          (m) => m.recipient === "lena@example.com",
        )!;
        const code = /\b(\d{6})\b/.exec(mail.subject)![1]!;
        await site.shot(page, "verify-code-phone");
        await page.fill("#verify-code", code);
        await page.click("#verify-button");
        await page.waitForSelector(".verified-as", { timeout: 30_000 });
        expect(await page.locator(".verified-as").textContent()).toContain("lena@example.com");

        // The cookie is HttpOnly: the page's script cannot read it, and a reload keeps the fan verified.
        expect(await page.evaluate("document.cookie")).not.toContain("dfl_fan");
        const cookie = (await context.cookies()).find((c) => c.name === "dfl_fan");
        expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax" });
        await page.reload();
        await page.waitForSelector(".verified-as");
        expect(await axeViolations(page)).toEqual([]);
        await site.shot(page, "verified-ready-phone");

        await page.click("#buy-button");
        await page.waitForSelector("[data-outcome=bought], .receipt", { timeout: 30_000 });
        const { rows } = await site.app.shop.db.query<{ fan_shown: string }>(
          "SELECT o.fan_shown FROM orders o JOIN drops d ON d.id = o.drop_id WHERE d.slug = $1::text",
          [drop.slug],
        );
        expect(rows.map((r) => r.fan_shown)).toEqual(["lena@example.com"]);
        await site.shot(page, "verified-bought-phone");

        await page.setViewportSize({ width: 1280, height: 800 });
        await page.goto(`${site.baseUrl}/d/${drop.slug}`);
        await site.shot(page, "verified-desktop");
      } finally {
        await context.close();
      }
    },
    180_000,
  );
});
