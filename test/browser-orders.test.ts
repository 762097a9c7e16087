import { randomUUID } from "node:crypto";
import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { axeViolations } from "./support/axe";
import { browserSite } from "./support/chromium";

/**
 * The seller's order pages of issue 18 §3 in a real Chromium at 360 and 1280 px: *Orders and shipping* of
 * a drop of sizes that asks for addresses (every size's orders, "Address missing", stacked cards on a phone)
 * and one order's page (its size, the address, mark as shipped, the cancel disclosure). Each screen is
 * screenshotted to test-results/browser-orders/, passes axe, breaks no CSP rule and never scrolls sideways.
 */
const SHOTS = "test-results/browser-orders";
const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

describe("the seller's order pages in Chromium", () => {
  const site = browserSite("pglite", SHOTS);
  const it_ = site.run ? it : it.skip;
  const email = `orders-${randomUUID()}@example.com`;
  const password = "a long enough password";

  const api = async (path: string, body: unknown, key?: string) => {
    const res = await fetch(`${site.baseUrl}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "idempotency-key": randomUUID(),
        ...(key ? { authorization: `Bearer ${key}` } : {}),
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  let apiKey: string | undefined;
  /** The seller's API key, the seller made on first use (each test may run alone). */
  const sellerKey = async (): Promise<string> => {
    apiKey ??= (await api("/api/sellers", { email, password, name: "Night Owl Goods" })).body
      .apiKey as string;
    return apiKey;
  };

  /** A signed-in seller's browser; every CSP violation is collected and checked at the end. */
  async function signedIn(): Promise<{ context: BrowserContext; page: Page; blocked: string[] }> {
    await sellerKey();
    const context = await site.browser.newContext({ viewport: DESKTOP, timezoneId: "UTC" });
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    await page.goto(`${site.baseUrl}/seller/sign-in`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.locator("form button[type=submit]").last().click();
    await page.waitForURL(/\/seller\/drops/);
    return { context, page, blocked };
  }

  /** Screenshot, axe and no sideways scroll at both widths, on the page as it is now. */
  async function checkBothSizes(page: Page, name: string) {
    for (const viewport of [PHONE, DESKTOP]) {
      await page.setViewportSize(viewport);
      await site.shot(page, `${name}-${viewport.width}`);
      expect(await axeViolations(page), `${name} at ${viewport.width} px`).toEqual([]);
      const overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth");
      expect(overflow, `${name} scrolls sideways at ${viewport.width} px`).toBeLessThanOrEqual(0);
    }
  }

  it_("orders and shipping, and one order, for a drop of sizes that asks for addresses", async () => {
    const apiKey = await sellerKey();
    const created = await api(
      "/api/drops",
      {
        title: "Tour Tee 2026",
        priceCents: 3200,
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        maxPerFan: 2,
        collectShipping: true,
        variants: [
          { name: "S", quantity: 2 },
          { name: "M", quantity: 3 },
        ],
      },
      apiKey,
    );
    expect(created.status).toBe(201);
    const slug = (created.body.drop as { slug: string }).slug;
    const ids: string[] = [];
    for (const [fan, variant] of [
      ["ada.lovelace@fans.example", "S"],
      ["grace@fans.example", "M"],
      ["zoë@fans.example", "M"],
    ]) {
      const bought = await api(`/api/drops/${slug}/purchase`, { fan, variant });
      expect(bought.status).toBe(201);
      ids.push((bought.body.order as { id: string }).id);
    }
    await site.app.shop.orderManagement.setShipping(ids[1]!, {
      name: "Grace Hopper",
      line1: "1 Harbour Street, Flat 12",
      line2: "",
      city: "Arlington",
      postalCode: "22201",
      country: "US",
    });

    const { context, page, blocked } = await signedIn();
    await page.goto(`${site.baseUrl}/seller/drops/${slug}/fulfilment`);
    expect(await page.locator("#fulfilment-orders tbody tr").count()).toBe(3);
    expect(await page.locator(".address-missing").count()).toBe(2);
    await checkBothSizes(page, "1-orders");
    // On a phone the table is stacked cards: its header row hidden, each cell labelled.
    await page.setViewportSize(PHONE);
    const headHeight = await page
      .locator("#fulfilment-orders thead")
      .evaluate((head) => head.getBoundingClientRect().height);
    expect(headHeight).toBeLessThanOrEqual(1);

    await page.goto(`${site.baseUrl}/seller/orders/${ids[1]}`);
    expect(await page.locator("h1").textContent()).toContain("Order M #");
    // A card's heading sits at the card's padding, not a blank line below it (a wireframe touch).
    const gap = await page
      .locator("section.card h2")
      .first()
      .evaluate((h) => h.getBoundingClientRect().top - h.parentElement!.getBoundingClientRect().top);
    expect(gap).toBeLessThanOrEqual(24);
    await page.locator("#order-danger summary").click();
    await checkBothSizes(page, "2-order");
    await page.getByLabel("Tracking link (optional)").fill("https://tracking.example/1Z999");
    await page.locator("#fulfil-form button[type=submit]").click();
    await page.locator("#order-notice").waitFor();
    expect(await page.locator(".order-shipped").count()).toBe(1);
    await checkBothSizes(page, "3-order-shipped");

    expect(blocked).toEqual([]);
    await context.close();
  });

  it_(
    "pages no browser suite checked at both widths: images, notify link, landing, webhooks, API reference, unsubscribe, mailbox",
    async () => {
      const created = await api(
        "/api/drops",
        {
          title: "Held Print",
          priceCents: 3500,
          quantity: 5,
          holdMinutes: 10,
          startsAt: new Date(Date.now() - 60_000).toISOString(),
        },
        await sellerKey(),
      );
      const slug = (created.body.drop as { slug: string }).slug;
      expect((await api(`/api/drops/${slug}/purchase`, { fan: "holder@fans.example" })).status).toBe(201);
      const { context, page, blocked } = await signedIn();
      for (const [path, name] of [
        [`/seller/drops/${slug}/images`, "9-drop-images"],
        [`/d/${slug}/notify/confirm?s=x&t=y`, "11-notify-bad-link"],
        ["/", "4-landing"],
        ["/seller/webhooks", "5-webhooks"],
        ["/api/docs", "6-api-reference"],
        ["/unsubscribe?a=x&t=y", "7-unsubscribe-bad-link"],
        ["/dev/mailbox", "8-dev-mailbox"],
      ] as const) {
        const res = await page.goto(`${site.baseUrl}${path}`);
        expect(res?.headers()["content-type"], path).toMatch(/^text\/html/);
        await checkBothSizes(page, name);
      }
      expect(blocked).toEqual([]);
      await context.close();
    },
  );
});
