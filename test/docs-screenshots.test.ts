import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { browserSite } from "./support/chromium";
import { imageForm, makePicture } from "./support/pictures";

/**
 * The README's two screenshots, docs/images/fan-page.png and docs/images/dashboard.png: a live drop with a
 * picture and some units sold, as a fan and as its seller see it in Chromium at 1280 px. The committed
 * files are checked always; `UPDATE_SCREENSHOTS=1` takes them again (after a change to the pages).
 */
const IMAGES = new URL("../docs/images/", import.meta.url).pathname;
const SHOTS = ["fan-page.png", "dashboard.png"];
const update = process.env.UPDATE_SCREENSHOTS === "1";

describe("docs screenshots", () => {
  const site = browserSite("pglite", "test-results/docs");
  const it_ = site.run && update ? it : it.skip;

  it_(
    "are taken again from a live drop",
    async () => {
      const base = site.baseUrl;
      const post = (path: string, body: unknown, key?: string) =>
        fetch(`${base}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
          body: JSON.stringify(body),
        }).then((res) => res.json() as Promise<unknown>);

      const email = `studio-${randomUUID()}@example.com`;
      const password = "a long enough password";
      const { apiKey } = (await post("/api/sellers", { email, password, name: "Northside Studio" })) as {
        apiKey: string;
      };
      const { drop } = (await post(
        "/api/drops",
        {
          title: "Midnight Hoodie",
          description: "Heavyweight cotton, one run only. 100 made, never restocked.",
          priceCents: 4900,
          currency: "EUR",
          quantity: 100,
          maxPerFan: 2,
        },
        apiKey,
      )) as { drop: { id: string; slug: string } };
      const picture = await makePicture(1280, 960, "jpeg");
      await fetch(`${base}/api/drops/${drop.id}/images`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}` },
        body: imageForm(picture, "image/jpeg", "hoodie.jpg"),
      });
      for (let i = 1; i <= 37; i++)
        await post(`/api/drops/${drop.slug}/purchase`, { fan: `fan-${i}@example.com` });

      const context = await site.browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(`${base}/d/${drop.slug}`);
      await page.waitForLoadState("load");
      await page.screenshot({ path: `${IMAGES}fan-page.png` });

      await page.goto(`${base}/seller/sign-in`);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(password);
      await page.locator("form button[type=submit]").last().click();
      await page.waitForURL(/\/seller\/drops/);
      await page.goto(`${base}/seller/drops/${drop.slug}`);
      await page.waitForLoadState("load");
      await page.screenshot({ path: `${IMAGES}dashboard.png` });
      await context.close();
    },
    120_000,
  );

  it("are committed, as PNG files", () => {
    for (const name of SHOTS) {
      expect(existsSync(`${IMAGES}${name}`), name).toBe(true);
      expect(readFileSync(`${IMAGES}${name}`).subarray(1, 4).toString()).toBe("PNG");
    }
  });
});
