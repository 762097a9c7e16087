import { randomUUID } from "node:crypto";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { axeViolations } from "./support/axe";
import { browserSite } from "./support/chromium";

/**
 * The seller console in a real Chromium at a phone's width and a laptop's: sign up, the empty drops list,
 * a go-live in the past refused, edit before go-live, cancel, go live, pause and resume (checked on the
 * page and through the API), the sold-out summary, and API-key rotation. Every seller screen is
 * screenshotted to test-results/seller/ and checked by axe-core (injected from node_modules) for zero
 * violations; at 360 px no page may scroll sideways.
 */
const SHOTS = "test-results/seller";

const DESKTOP = { name: "desktop", width: 1280, height: 800 } as const;
const PHONE = { name: "phone", width: 360, height: 740 } as const;

describe("seller console in Chromium", () => {
  const site = browserSite("pglite", SHOTS);
  const it_ = site.run ? it : it.skip;
  /** Pages the desktop run made, for the phone run to look at again. */
  const seen: { dashboard?: string; cancelled?: string; storage?: string } = {};

  /** Screenshot, axe, and no sideways scroll: what every seller screen must pass at either width. */
  async function check(page: Page, name: string): Promise<void> {
    const viewport = page.viewportSize()!.width < 640 ? PHONE : DESKTOP;
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
      body: (await res.json()) as { error?: { code: string }; order?: { status?: string } },
    }));

  it_(
    "at 1280 px runs a drop end to end: create, edit, cancel, go live, pause, resume, sell out, rotate the key",
    async () => {
      const context = await site.browser.newContext({ viewport: DESKTOP, timezoneId: "Europe/Berlin" });
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
      await page.getByLabel("Price", { exact: true }).fill("49,90");
      await page.getByLabel("Units for sale").fill("4");
      await page.locator("#startsAt").fill("2024-01-01T10:00");
      await page.locator("#create-drop").click();
      await page.locator("#startsAt-error").waitFor();
      expect(await page.locator("#startsAt-error").textContent()).toContain("tick Go live now");
      await check(page, "3-new-drop-past-refused");
      await page.locator("#startsAt").fill("2035-06-01T18:00");
      await page.locator("#create-drop").click();
      await page.waitForURL(/\/seller\/drops\/[a-z0-9-]+$/);
      const dashboard = page.url();
      const slug = dashboard.split("/").pop()!;
      expect(await page.locator("#drop-status").textContent()).toBe("Upcoming");
      await check(page, "4-dashboard-upcoming");

      // Edit before go-live: every term, the stock follows.
      await page.locator("#edit-link").click();
      await page.waitForURL(/\/edit$/);
      await check(page, "5-edit-upcoming");
      await page.getByLabel("Price", { exact: true }).fill("59.00");
      await page.getByLabel("Units for sale").fill("3");
      await page.locator("#save-drop").click();
      await page.waitForURL(dashboard);
      expect(await page.locator(".drop-terms").textContent()).toContain("$59.00 · 3 units");

      // A second drop is cancelled behind its confirmation.
      await page.goto(`${base}/seller/drops/new`);
      await page.getByLabel("Title").fill("Never Mind");
      await page.getByLabel("Price", { exact: true }).fill("10");
      await page.getByLabel("Units for sale").fill("10");
      await page.locator("#startsAt").fill("2035-06-01T18:00");
      await page.locator("#create-drop").click();
      await page.waitForURL(/\/seller\/drops\/never-mind-/);
      await page.locator("#cancel-drop summary").click();
      await check(page, "6-cancel-confirm");
      await page.locator("#cancel-form button").click();
      await page.waitForLoadState();
      await expect.poll(() => page.locator("#drop-status").textContent()).toBe("Cancelled");
      const neverMind = page.url().split("/").pop()!;
      seen.cancelled = page.url();
      expect((await purchase(neverMind, "fan@x.io")).body.error?.code).toBe("cancelled");

      // Go live now from the edit form; sales come in through the public API.
      await page.goto(`${dashboard}/edit`);
      await page.locator("#goLiveNow").check();
      await page.locator("#save-drop").click();
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

      // Paused in another tab (issue 15 §6): this page's controls follow within a poll, and the button
      // swapped in works (with its pending label).
      const other = await context.newPage();
      await other.goto(dashboard);
      await other.locator("#pause-form button").click();
      await other.waitForURL(dashboard);
      await expect.poll(() => page.locator("#resume-form").count(), { timeout: 10_000 }).toBe(1);
      expect(await page.locator("#pause-form").count()).toBe(0);
      expect(await page.locator("#paused-notice").isVisible()).toBe(true);
      await other.close();
      await page.locator("#resume-form button").click();
      await expect.poll(() => page.locator("#pause-form").count(), { timeout: 10_000 }).toBe(1);
      await expect.poll(() => page.locator("#drop-status").textContent()).toBe("Live");
      expect((await purchase(slug, "second@x.io")).status).toBe(201);
      expect((await purchase(slug, "third@x.io")).status).toBe(201);

      // Sold out: the live numbers freeze into a summary, by themselves.
      await expect
        .poll(() => page.locator("#sold-out-summary").textContent(), { timeout: 10_000 })
        .toMatch(/Sold out in [\d.]+ s, peak \d+ orders? a second/);
      await expect.poll(() => page.locator("#audit-rows tr.order-row").count(), { timeout: 10_000 }).toBe(3);
      await check(page, "9-dashboard-sold-out");
      seen.dashboard = dashboard;

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
      seen.storage = JSON.stringify(await context.storageState());
      await context.close();
    },
    180_000,
  );

  it_(
    "at 360 px every seller screen fits, reads as stacked cards and passes axe",
    async () => {
      expect(seen.storage).toBeDefined();
      const anonymous = await site.browser.newContext({ viewport: PHONE });
      const signUp = await anonymous.newPage();
      await signUp.goto(`${site.baseUrl}/seller/sign-up`);
      await check(signUp, "1-sign-up");
      await anonymous.close();

      const context = await site.browser.newContext({
        viewport: PHONE,
        storageState: JSON.parse(seen.storage!),
      });
      const page = await context.newPage();
      await page.goto(`${site.baseUrl}/seller/drops`);
      await check(page, "10-drops");
      await page.goto(`${site.baseUrl}/seller/drops/new`);
      await page.getByLabel("Title").fill("Phone drop");
      await page.locator("#startsAt").fill("2024-01-01T10:00");
      await page.locator("#create-drop").click();
      await page.locator("#form-problem").waitFor();
      await check(page, "3-new-drop-errors");
      await page.goto(seen.dashboard!);
      // The audit trail is stacked: each order a card, the header row hidden.
      const headHeight = await page
        .locator("#audit-trail thead")
        .evaluate((h) => h.getBoundingClientRect().height);
      expect(headHeight).toBeLessThanOrEqual(1);
      await check(page, "9-dashboard-sold-out");
      await page.goto(`${seen.dashboard}/edit`);
      await check(page, "7-edit-live");
      await page.goto(seen.cancelled!);
      await check(page, "6-dashboard-cancelled");
      await page.goto(`${site.baseUrl}/seller/account`);
      await page.locator("#rotate-api-key summary").click();
      await check(page, "11-account-confirm");
      await context.close();
    },
    120_000,
  );

  it_(
    "at 360 px a checkout drop is made from the form: a bad hold refused beside it, then held orders",
    async () => {
      expect(seen.storage).toBeDefined();
      const context = await site.browser.newContext({
        viewport: PHONE,
        storageState: JSON.parse(seen.storage!),
      });
      const page = await context.newPage();
      await page.goto(`${site.baseUrl}/seller/drops/new`);
      expect(await page.getByLabel("Instant orders: a win is a sale at once").isChecked()).toBe(true);
      await page.getByLabel("Title").fill("Held Print");
      await page.getByLabel("Price", { exact: true }).fill("35");
      await page.getByLabel("Units for sale").fill("5");
      await page.locator("#goLiveNow").check();
      await page.getByLabel("Checkout with a hold: the winner pays within the minutes below").check();
      await page.getByLabel("Hold (minutes)").fill("90");
      await page.locator("#create-drop").click();
      await page.locator("#holdMinutes-error").waitFor();
      expect(await page.locator("#holdMinutes-error").textContent()).toBe(
        "A hold must be at most 60 minutes",
      );
      // The choice survives the round trip; nothing was created.
      expect(
        await page.getByLabel("Checkout with a hold: the winner pays within the minutes below").isChecked(),
      ).toBe(true);
      await check(page, "13-new-drop-hold-refused");

      await page.getByLabel("Hold (minutes)").fill("15");
      await page.locator("#create-drop").click();
      await page.waitForURL(/\/seller\/drops\/held-print-/);
      const slug = page.url().split("/").pop()!;
      const held = await purchase(slug, "holder@x.io");
      expect(held.status).toBe(201);
      expect(held.body.order?.status).toBe("held");
      await page.reload();
      expect(await page.locator("#units-held").textContent()).toBe("1");

      // Live: the mode is fixed, the hold's length is all that is offered.
      await page.goto(`${page.url()}/edit`);
      expect(await page.locator("#fixed-terms").textContent()).toContain("checkout with a hold are fixed");
      expect(await page.locator("input[name=holdMode]").count()).toBe(0);
      expect(await page.getByLabel("Hold (minutes)").inputValue()).toBe("15");
      await check(page, "14-edit-live-checkout");
      await context.close();
    },
    120_000,
  );
});
