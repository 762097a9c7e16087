import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { Browser, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { axeViolations } from "./support/axe";
import { browserSite } from "./support/chromium";
import { makePicture } from "./support/pictures";

/**
 * The fan's side in a real Chromium at a phone's 360 px and a desktop's 1280 px: a picture uploaded on
 * the seller's form shows on the fan page (beside the buy box on desktop, above it on a phone), the shop
 * page, a purchase with and without JavaScript (the no-JS receipt reloads), and the sold-out state, which
 * must read the same on a page open at the sell-out and on a fresh load. Every fan screen is checked with
 * axe-core (from node_modules, injected: no CDN) and saved under test-results/browser-fan/ for review.
 */
const SHOTS = "test-results/browser-fan";
const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

describe("fan pages in Chromium", () => {
  const site = browserSite("pglite", SHOTS);
  const it_ = site.run ? it : it.skip;
  const { shot } = site;

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

  async function fanPage(browser: Browser, path: string, viewport = PHONE, javaScriptEnabled = true) {
    const context = await browser.newContext({ viewport, javaScriptEnabled, timezoneId: "UTC" });
    const page = await context.newPage();
    // The CSP allows no inline style or script: anything it blocks is a page that looks or works wrong.
    const blocked: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    await page.goto(`${site.baseUrl}${path}`);
    const close = async () => {
      await context.close();
      expect(blocked, `CSP violations on ${path}`).toEqual([]);
    };
    return { page, close };
  }

  /** Screenshot and axe at both sizes. */
  async function checkBothSizes(path: string, name: string) {
    for (const [size, viewport] of [
      ["360", PHONE],
      ["1280", DESKTOP],
    ] as const) {
      const { page, close } = await fanPage(site.browser, path, viewport);
      await shot(page, `${name}-${size}`);
      expect(await axeViolations(page), `${name} at ${size} px`).toEqual([]);
      await close();
    }
  }

  let apiKey = "";
  let pictured = { slug: "", id: "" };

  it_(
    "a picture uploaded on the new-drop form shows on the fan page, beside the buy box on desktop",
    async () => {
      const context = await site.browser.newContext({ viewport: DESKTOP, timezoneId: "UTC" });
      const seller = await context.newPage();
      await seller.goto(`${site.baseUrl}/seller/sign-up`);
      await seller.getByLabel("Shop name").fill("Night Owl Records");
      await seller.getByLabel("Email").fill(`owl-${randomUUID()}@example.com`);
      await seller.getByLabel("Password").fill("a long enough password");
      await seller.locator("#sign-up-form button[type=submit]").click();
      await seller.waitForURL(/\/seller\//);
      await seller.goto(`${site.baseUrl}/seller/drops/new`);
      await seller.getByLabel("Title").fill("Midnight Vinyl, First Press");
      await seller
        .getByLabel("Description")
        .fill("180 g vinyl in a hand-numbered sleeve.\nShips in December.");
      await seller.getByLabel("Price", { exact: true }).fill("39.00");
      await seller.getByLabel("Units for sale").fill("40");
      await seller.locator("#startsAt").fill(new Date().toISOString().slice(0, 19));
      await seller.locator("#image").setInputFiles({
        name: "vinyl.jpg",
        mimeType: "image/jpeg",
        buffer: await makePicture(1600, 1600, "jpeg"),
      });
      await shot(seller, "seller-new-drop");
      await seller.locator("#create-drop").click();
      await seller.waitForURL(/\/seller\/drops\/[a-z0-9-]+$/);
      await seller.locator("#drop-images img").waitFor();
      await shot(seller, "seller-images-card");
      const slug = new URL(seller.url()).pathname.split("/").pop()!;
      const drop = (await (await fetch(`${site.baseUrl}/api/drops/${slug}`)).json()) as {
        drop: { id: string; images: { url: string }[] };
      };
      expect(drop.drop.images).toHaveLength(1);
      pictured = { slug, id: drop.drop.id };
      await context.close();

      for (const viewport of [DESKTOP, PHONE]) {
        const { page, close } = await fanPage(site.browser, `/d/${slug}`, viewport);
        const image = page.locator(".gallery img").first();
        await image.waitFor();
        const loaded = `(() => { const img = document.querySelector(".gallery img"); return img.complete ? img.naturalWidth : 0 })()`;
        await expect.poll(() => page.evaluate(loaded)).toBeGreaterThan(0);
        const picture = (await page.locator(".gallery").boundingBox())!;
        const info = (await page.locator(".drop-info").boundingBox())!;
        if (viewport === DESKTOP) {
          expect(picture.x + picture.width).toBeLessThanOrEqual(info.x); // two columns
          expect(picture.width).toBeGreaterThan(info.width); // the picture takes the larger share
        } else {
          expect(picture.y + picture.height).toBeLessThanOrEqual(info.y); // stacked, picture first
          expect(picture.width).toBeGreaterThan(viewport.width - 40);
        }
        await shot(page, `fan-live-${viewport.width}`);
        expect(await axeViolations(page), `fan page at ${viewport.width} px`).toEqual([]);
        await close();
      }
    },
  );

  it_("weighs under 40 KB gzipped without its picture: HTML, styles and scripts", async () => {
    const { page, close } = await fanPage(site.browser, `/d/${pictured.slug}`, PHONE);
    const urls = (await page.evaluate(
      `[location.href, ...[...document.querySelectorAll("link[rel=stylesheet], script[src]")].map((el) => el.href || el.src)]`,
    )) as string[];
    let total = 0;
    for (const url of urls) {
      expect(new URL(url).origin).toBe(site.baseUrl); // nothing from other sites
      total += gzipSync(new Uint8Array(await (await fetch(url)).arrayBuffer())).length;
    }
    expect(total).toBeLessThan(40 * 1024);
    const elsewhere = await page.evaluate(
      `performance.getEntriesByType("resource").map((e) => e.name).filter((url) => new URL(url).origin !== location.origin)`,
    );
    expect(elsewhere).toEqual([]);
    await close();
  });

  it_("an upcoming drop without a picture: the title's initials, the countdown, the shop page", async () => {
    const { body } = await api("/api/sellers", {
      email: `shop-${randomUUID()}@example.com`,
      password: "a long enough password",
      name: "Night Owl Goods",
    });
    apiKey = (body as { apiKey: string }).apiKey;
    const soon = await api(
      "/api/drops",
      {
        title: "Owl Tote Bag",
        description: "Heavy canvas.",
        priceCents: 2400,
        quantity: 150,
        startsAt: new Date(Date.now() + 26 * 3600_000).toISOString(),
      },
      apiKey,
    );
    const slug = (soon.body.drop as { slug: string }).slug;
    await checkBothSizes(`/d/${slug}`, "fan-upcoming");
    const { page, close } = await fanPage(site.browser, `/d/${slug}`);
    expect(await page.locator(".product-image.placeholder").textContent()).toBe("OT");
    const shop = await page.locator(".drop-shop a").getAttribute("href");
    expect(await page.locator("header .shop-home").getAttribute("href")).toBe(shop); // the shop leads the page
    await page.locator(".drop-shop a").click();
    await page.waitForURL(/\/s\//);
    expect(await page.locator("main").textContent()).toContain("Owl Tote Bag");
    await close();
    await checkBothSizes(shop!, "shop");
  });

  it_("without JavaScript a purchase lands on a receipt that reloads and is the same", async () => {
    const { page, close } = await fanPage(site.browser, `/d/${pictured.slug}`, PHONE, false);
    await page.locator("#fan").fill("no-script@example.com");
    await page.locator("#buy-button").click();
    await page.waitForURL(/\/orders\/[0-9a-f-]{36}\?k=/);
    const receiptUrl = page.url();
    const first = await page.locator("#purchase-result").textContent();
    expect(first).toMatch(/Unit\s*#\d+\s*of 40/);
    const reload = await page.reload();
    expect(reload?.status()).toBe(200);
    expect(await page.locator("#purchase-result").textContent()).toBe(first);
    await shot(page, "fan-receipt-nojs-360");
    await close();
    await checkBothSizes(new URL(receiptUrl).pathname + new URL(receiptUrl).search, "fan-receipt");
    const wrong = await fetch(receiptUrl.replace(/k=[\w-]+/, `k=${"A".repeat(32)}`));
    expect(wrong.status).toBe(404);
  });

  it_("with JavaScript the receipt replaces the form in place, order id copyable", async () => {
    const { page, close } = await fanPage(site.browser, `/d/${pictured.slug}`, PHONE);
    await page.locator("#fan").fill("thumb@example.com");
    await page.locator("#buy-button").click();
    const receipt = page.locator("#purchase-result[data-outcome=bought]");
    await receipt.waitFor();
    expect(page.url()).toBe(`${site.baseUrl}/d/${pictured.slug}`);
    expect(await receipt.locator(".receipt-unit b").textContent()).toMatch(/^#\d+$/);
    await page.locator(".receipt .copy").waitFor();
    await receipt.scrollIntoViewIfNeeded();
    await shot(page, "fan-bought-360");
    expect(await axeViolations(page)).toEqual([]);
    await close();
  });

  it_("Buy on a drop paused or cancelled after the page loaded answers in the buy box", async () => {
    const seller = async (id: string, action: "pause" | "cancel") => {
      const res = await fetch(`${site.baseUrl}/api/drops/${id}/${action}`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}` },
      });
      expect(res.status).toBe(200);
    };
    const pressBuy = async (page: Page, outcome: string) => {
      await page.locator("#fan").fill("late@example.com");
      await page.locator("#buy-button:not([disabled])").click();
      await page.locator(`#purchase-result[data-outcome=${outcome}]`).waitFor();
    };
    const live = await api(
      "/api/drops",
      { title: "Pause Test Cap", priceCents: 1800, quantity: 20, startsAt: new Date().toISOString() },
      apiKey,
    );
    const paused = await fanPage(site.browser, `/d/${(live.body.drop as { slug: string }).slug}`, PHONE);
    await paused.page.locator("#buy-button:not([disabled])").waitFor();
    await seller((live.body.drop as { id: string }).id, "pause");
    await pressBuy(paused.page, "paused");
    expect(await paused.page.locator("#purchase-result").textContent()).toBe(
      "Sales are paused for a moment — keep this page open",
    );
    expect(await paused.page.locator("#drop-state [data-status]").getAttribute("data-status")).toBe("paused");
    await shot(paused.page, "fan-buy-paused-360");
    expect(await axeViolations(paused.page)).toEqual([]);
    await paused.close();

    // Cancelled before go-live (the only time a drop can be), bought at the go-live the page counted down to.
    const soon = await api(
      "/api/drops",
      {
        title: "Cancelled Cap",
        priceCents: 1800,
        quantity: 20,
        startsAt: new Date(Date.now() + 3000).toISOString(),
      },
      apiKey,
    );
    const cancelled = await fanPage(site.browser, `/d/${(soon.body.drop as { slug: string }).slug}`, PHONE);
    await seller((soon.body.drop as { id: string }).id, "cancel");
    await pressBuy(cancelled.page, "cancelled");
    expect(await cancelled.page.locator("#purchase-result .result-title").textContent()).toBe(
      "This drop was cancelled",
    );
    expect(await cancelled.page.locator("#drop-state [data-status]").getAttribute("data-status")).toBe(
      "cancelled",
    );
    await shot(cancelled.page, "fan-buy-cancelled-360");
    expect(await axeViolations(cancelled.page)).toEqual([]);
    await cancelled.close();
  });

  it_("sold out reads the same on a page open at the sell-out and on a fresh load", async () => {
    const drop = await api(
      "/api/drops",
      { title: "Last Call Poster", priceCents: 1500, quantity: 2, startsAt: new Date().toISOString() },
      apiKey,
    );
    const { slug } = drop.body.drop as { slug: string };
    const open = await fanPage(site.browser, `/d/${slug}`, PHONE);
    await open.page.locator("#buy-button:not([disabled])").waitFor();
    await shot(open.page, "fan-live-last-2-360");
    for (const fan of ["a@example.com", "b@example.com"]) {
      expect((await api(`/api/drops/${slug}/purchase`, { fan })).status).toBe(201);
      if (fan !== "a@example.com") continue;
      // Half sold, seen by the open page through its stream: the meter (a <progress>) half full.
      await open.page.locator("#drop-state [data-remaining='1']").waitFor({ timeout: 10_000 });
      expect(await open.page.evaluate(`document.querySelector("#drop-state progress.meter").position`)).toBe(
        0.5,
      );
      await shot(open.page, "fan-live-last-1-360");
    }
    await open.page.locator("#drop-state [data-status=sold_out]").waitFor({ timeout: 10_000 });
    await expect.poll(() => open.page.locator(".buy-box").count()).toBe(0);
    const fresh = await fanPage(site.browser, `/d/${slug}`, PHONE);
    // What a fan sees (screen-reader-only text aside: the open page's live region says "Sold out." aloud).
    const text = (page: Page) =>
      page.evaluate(`(() => {
        const main = document.querySelector("main").cloneNode(true);
        for (const hidden of main.querySelectorAll(".visually-hidden")) hidden.remove();
        return main.textContent.replace(/\\s+/g, " ").trim();
      })()`) as Promise<string>;
    expect(await text(open.page)).toBe(await text(fresh.page));
    expect((await text(fresh.page)).match(/sold out|taken/gi)).toHaveLength(2);
    // And pixel for pixel, once the open page's meter has finished filling up.
    const state = (page: Page) => page.locator("#drop-state").screenshot({ animations: "disabled" });
    const freshState = await state(fresh.page);
    await expect.poll(async () => (await state(open.page)).equals(freshState)).toBe(true);
    await shot(open.page, "fan-sold-out-open-360");
    await shot(fresh.page, "fan-sold-out-fresh-360");
    expect(await axeViolations(fresh.page)).toEqual([]);
    await open.close();
    await fresh.close();
    await checkBothSizes(`/d/${slug}`, "fan-sold-out");
  });
});
