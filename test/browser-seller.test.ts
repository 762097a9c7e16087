import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { browserSite } from "./support/chromium";

/**
 * The seller console in a real Chromium at a phone's width and a laptop's: sign up, the empty drops list,
 * a go-live in the past refused, edit before go-live, cancel, go live, pause and resume (checked on the
 * page and through the API), the sold-out summary, and API-key rotation. Every seller screen is
 * screenshotted to test-results/seller/ and checked by axe-core (injected from node_modules) for zero
 * violations; at 360 px no page may scroll sideways.
 */
const SHOTS = "test-results/seller";
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

const VIEWPORTS = [
  { name: "phone", width: 360, height: 740 },
  { name: "desktop", width: 1280, height: 800 },
] as const;

interface AxeViolation {
  id: string;
  help: string;
  nodes: { target: string[] }[];
}

async function axeViolations(page: Page): Promise<string[]> {
  // Through the DevTools protocol, which the page's CSP does not govern (an inline <script> is blocked).
  await page.evaluate(readFileSync(AXE, "utf8"));
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: () => Promise<{ violations: AxeViolation[] }> } })
      .axe;
    return (await axe.run()).violations;
  });
  return violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

describe.each(VIEWPORTS)("seller console in Chromium at $width px", (viewport) => {
  const site = browserSite("pglite", SHOTS);
  const it_ = site.run ? it : it.skip;

  /** Screenshot, axe, and (on a phone) no sideways scroll: what every seller screen must pass. */
  async function check(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: `${SHOTS}/${viewport.name}-${name}.png`, fullPage: true });
    expect(await axeViolations(page), name).toEqual([]);
    const overflow = await page.evaluate(() => {
      const g = globalThis as unknown as {
        innerWidth: number;
        document: { documentElement: { scrollWidth: number } };
      };
      return g.document.documentElement.scrollWidth - g.innerWidth;
    });
    expect(overflow, `${name} scrolls sideways`).toBeLessThanOrEqual(0);
  }

  const purchase = (slug: string, fan: string) =>
    fetch(`${site.baseUrl}/api/drops/${slug}/purchase`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": randomUUID() },
      body: JSON.stringify({ fan }),
    }).then(async (res) => ({
      status: res.status,
      body: (await res.json()) as { error?: { code: string } },
    }));

  it_(
    "runs a drop end to end: create, edit, cancel, go live, pause, resume, sell out, rotate the key",
    async () => {
      const context = await site.browser.newContext({ viewport, timezoneId: "Europe/Berlin" });
      const page = await context.newPage();
      const base = site.baseUrl;

      // Sign up: the button says it is working while the password is hashed.
      await page.goto(`${base}/seller/sign-up`);
      await check(page, "1-sign-up");
      await page.getByLabel("Shop name").fill("Console Shop");
      await page.getByLabel("Email").fill(`console-${randomUUID()}@example.com`);
      await page.getByLabel("Password").fill("a long enough password");
      const submit = page.locator("#sign-up-form button[type=submit]");
      await submit.click({ noWaitAfter: true });
      expect(await submit.getAttribute("aria-busy").catch(() => "gone")).toMatch(/true|gone/);
      await page.waitForURL(/\/seller\/drops$/);

      // No drops yet: an empty state with its own New drop button.
      expect(await page.locator("#empty-new-drop").isVisible()).toBe(true);
      await check(page, "2-drops-empty");
      await page.locator("#empty-new-drop").click();

      // A go-live in the past is refused next to its field; the browser's zone is offered first.
      await page.waitForURL(/\/seller\/drops\/new$/);
      expect(await page.locator("#timeZone option").first().getAttribute("value")).toBe("Europe/Berlin");
      await page.getByLabel("Title").fill("Console Hoodie");
      await page.getByLabel("Price").fill("49,90");
      await page.getByLabel("Units for sale").fill("4");
      await page.locator("#startsAt").fill("2024-01-01T10:00");
      await page.locator("#new-drop-form button[type=submit]").click();
      await page.locator("#startsAt-error").waitFor();
      expect(await page.locator("#startsAt-error").textContent()).toContain("tick Go live now");
      await check(page, "3-new-drop-past-refused");
      await page.locator("#startsAt").fill("2035-06-01T18:00");
      await page.locator("#new-drop-form button[type=submit]").click();
      await page.waitForURL(/\/seller\/drops\/[a-z0-9-]+$/);
      const dashboard = page.url();
      const slug = dashboard.split("/").pop()!;
      expect(await page.locator("#drop-status").textContent()).toBe("Upcoming");
      await check(page, "4-dashboard-upcoming");

      // Edit before go-live: every term, the stock follows.
      await page.locator("#edit-link").click();
      await page.waitForURL(/\/edit$/);
      await check(page, "5-edit-upcoming");
      await page.getByLabel("Price").fill("59.00");
      await page.getByLabel("Units for sale").fill("3");
      await page.locator("#edit-drop-form button[type=submit]").click();
      await page.waitForURL(dashboard);
      expect(await page.locator(".drop-terms").textContent()).toContain("$59.00 · 3 units");

      // A second drop is cancelled behind its confirmation.
      await page.goto(`${base}/seller/drops/new`);
      await page.getByLabel("Title").fill("Never Mind");
      await page.getByLabel("Price").fill("10");
      await page.getByLabel("Units for sale").fill("10");
      await page.locator("#startsAt").fill("2035-06-01T18:00");
      await page.locator("#new-drop-form button[type=submit]").click();
      await page.waitForURL(/\/seller\/drops\/never-mind-/);
      await page.locator("#cancel-drop summary").click();
      await check(page, "6-cancel-confirm");
      await page.locator("#cancel-form button").click();
      await page.waitForLoadState();
      await expect.poll(() => page.locator("#drop-status").textContent()).toBe("Cancelled");
      const neverMind = page.url().split("/").pop()!;
      expect((await purchase(neverMind, "fan@x.io")).body.error?.code).toBe("cancelled");

      // Go live now from the edit form; sales come in through the public API.
      await page.goto(`${dashboard}/edit`);
      await page.locator("#goLiveNow").check();
      await page.locator("#edit-drop-form button[type=submit]").click();
      await page.waitForURL(dashboard);
      await expect.poll(() => page.locator("#drop-status").textContent()).toBe("Live");
      expect((await purchase(slug, "first@x.io")).status).toBe(201);

      // Once live, the edit form keeps price and quantity off and says why.
      await page.goto(`${dashboard}/edit`);
      expect(await page.locator("#fixed-terms").isVisible()).toBe(true);
      expect(await page.locator("#price").count()).toBe(0);
      await check(page, "7-edit-live");

      // Pause: the badge turns, the purchase is refused by the database; resume and it sells again.
      await page.goto(dashboard);
      await page.locator("#pause-form button").click();
      await page.waitForURL(dashboard);
      await expect.poll(() => page.locator("#drop-status").textContent()).toBe("Paused");
      expect((await purchase(slug, "blocked@x.io")).body.error?.code).toBe("paused");
      await check(page, "8-dashboard-paused");
      await page.locator("#resume-form button").click();
      await page.waitForURL(dashboard);
      await expect.poll(() => page.locator("#drop-status").textContent()).toBe("Live");
      expect((await purchase(slug, "second@x.io")).status).toBe(201);
      expect((await purchase(slug, "third@x.io")).status).toBe(201);

      // Sold out: the live numbers freeze into a summary, by themselves.
      await expect
        .poll(() => page.locator("#sold-out-summary").textContent(), { timeout: 10_000 })
        .toMatch(/Sold out in [\d.]+ s, peak \d+ orders\/s/);
      await expect.poll(() => page.locator("#audit-rows tr.order-row").count(), { timeout: 10_000 }).toBe(3);
      await check(page, "9-dashboard-sold-out");

      // The drops list shows each drop's badge on one line.
      await page.goto(`${base}/seller/drops`);
      const badgeHeights = await page
        .locator("#drops .badge")
        .evaluateAll((badges) => badges.map((b) => Math.round(b.getBoundingClientRect().height)));
      expect(new Set(badgeHeights).size).toBe(1);
      await check(page, "10-drops");

      // Rotating the API key asks first, then shows the new key once with a Copy button.
      await page.goto(`${base}/seller/account`);
      await page.locator("#rotate-api-key summary").click();
      await check(page, "11-account-confirm");
      await page.locator("#rotate-api-key-form button").click();
      await page.locator("#api-key").waitFor();
      expect(await page.locator("#api-key").inputValue()).toMatch(/^dfl_/);
      expect(await page.locator("#copy-key").isVisible()).toBe(true);
      await check(page, "12-account-new-key");
      await context.close();
    },
  );
});
