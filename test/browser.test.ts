import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { browserSite } from "./support/chromium";
import type { TestBackend } from "./support/databases";

/**
 * End to end in a real Chromium (Debian's, never a downloaded one): a seller signs up and creates a drop
 * going live in a few seconds; a fan watches the countdown turn into a buy button, sees the counter fall
 * while others buy through the API, buys and gets a unit number; a second fan finds it sold out; the
 * seller's dashboard shows the orders arriving. Screenshots go to test-results/ (git-ignored).
 */
const SHOTS = "test-results/browser";

const BACKENDS: TestBackend[] = ["pglite", "postgres-read-committed"];

/** The wall-clock time `date` shows in `timeZone`, as a datetime-local value with seconds. */
function localDateTime(date: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

describe.each(BACKENDS)("in Chromium on %s", (backend) => {
  const site = browserSite(backend, SHOTS);
  const it_ = site.run ? it : it.skip;
  const { shot } = site;

  /** A buyer who is not in the browser: the public purchase endpoint, as any client would use it. */
  const buyThroughApi = async (slug: string, fan: string) => {
    const res = await fetch(`${site.baseUrl}/api/drops/${slug}/purchase`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": randomUUID() },
      body: JSON.stringify({ fan }),
    });
    return res.status;
  };

  it_("seller creates a drop; fans see it go live, buy, sell out; the dashboard follows live", async () => {
    // The seller works in Berlin; the form must show that zone and store the right instant.
    const sellerContext = await site.browser.newContext({
      timezoneId: "Europe/Berlin",
      viewport: { width: 1200, height: 900 },
    });
    const seller = await sellerContext.newPage();
    await seller.goto(`${site.baseUrl}/seller/sign-up`);
    await seller.getByLabel("Shop name").fill("Berlin Kicks");
    await seller.getByLabel("Email").fill(`kicks-${randomUUID()}@example.com`);
    await seller.getByLabel("Password").fill("a long enough password");
    await seller.locator("#sign-up-form button[type=submit]").click();
    await seller.waitForURL(/\/seller\//);

    await seller.goto(`${site.baseUrl}/seller/drops/new`);
    await expect.poll(() => seller.locator("#timeZone").inputValue()).toBe("Europe/Berlin");
    const goLive = new Date(Date.now() + 8_000);
    await seller.getByLabel("Title").fill("Browser Test Sneakers");
    await seller.getByLabel("Price", { exact: true }).fill("12.50");
    await seller.getByLabel("Units for sale").fill("5");
    await seller.locator("#startsAt").fill(localDateTime(goLive, "Europe/Berlin"));
    await shot(seller, "1-new-drop");
    await seller.locator("#create-drop").click();
    await seller.waitForURL(/\/seller\/drops\/[a-z0-9-]+$/);
    await expect.poll(() => seller.locator("#drop-title").textContent()).toBe("Browser Test Sneakers");
    const slug = new URL(seller.url()).pathname.split("/").pop()!;

    const stored = (await (await fetch(`${site.baseUrl}/api/drops/${slug}`)).json()) as {
      drop: { startsAt: string; quantity: number };
    };
    expect(Math.abs(Date.parse(stored.drop.startsAt) - Math.floor(goLive.getTime() / 1000) * 1000)).toBe(0);
    expect(stored.drop).toMatchObject({ quantity: 5, priceCents: 1250, status: "upcoming" });

    // A fan on a phone, in another time zone, before go-live.
    const fanContext = await site.browser.newContext({
      timezoneId: "America/New_York",
      viewport: { width: 360, height: 740 },
    });
    const fan = await fanContext.newPage();
    await fan.goto(`${site.baseUrl}/d/${slug}`);
    await expect.poll(() => fan.locator("#countdown").textContent()).toMatch(/\d/);
    expect(await fan.locator("#buy-button").isDisabled()).toBe(true);
    await shot(fan, "2-countdown");

    // Go-live: the button turns on without a reload.
    await fan.locator("#buy-button:not([disabled])").waitFor({ timeout: 20_000 });
    expect(await fan.locator("#drop-state .stock-count").textContent()).toContain("5");

    // Others buy through the API; the counter follows over SSE.
    for (const who of ["api-1@example.com", "api-2@example.com", "api-3@example.com"]) {
      expect(await buyThroughApi(slug, who)).toBe(201);
    }
    await expect
      .poll(() => fan.locator("#drop-state .stock-count").textContent(), { timeout: 10_000 })
      .toMatch(/\b2\b/);

    // The fan buys and is told their unit.
    await fan.locator("#fan").fill("browser-fan@example.com");
    await fan.locator("#buy-button").click();
    const result = fan.locator("#purchase-result");
    await result.waitFor();
    expect(await result.getAttribute("data-outcome")).toBe("bought");
    expect(await result.textContent()).toMatch(/You got it\s*Unit #[1-5] of 5/);
    await shot(fan, "3-bought");

    // The last unit goes through the API; then nothing is left for anyone.
    expect(await buyThroughApi(slug, "api-4@example.com")).toBe(201);
    expect(await buyThroughApi(slug, "api-5@example.com")).toBe(409);
    await expect
      .poll(() => fan.locator("#drop-state").textContent(), { timeout: 10_000 })
      .toMatch(/sold out|\b0\b/i);

    const secondFan = await (
      await site.browser.newContext({ viewport: { width: 360, height: 740 } })
    ).newPage();
    await secondFan.goto(`${site.baseUrl}/d/${slug}`);
    expect(await secondFan.locator("main").textContent()).toMatch(/sold out/i);
    expect(await secondFan.locator("#buy-button:not([disabled])").count()).toBe(0);
    await shot(secondFan, "4-sold-out");

    // The dashboard has been open all along and caught up by itself.
    await expect
      .poll(() => seller.locator("#units-sold").textContent(), { timeout: 10_000 })
      .toMatch(/5\s*of\s*5/);
    await expect.poll(() => seller.locator("#audit-rows tr.order-row").count(), { timeout: 10_000 }).toBe(5);
    expect(await seller.locator("#audit-rows").textContent()).toContain("browser-fan@example.com");
    expect(await seller.locator("#revenue").textContent()).toContain("62.50");
    await shot(seller, "5-dashboard");
    await sellerContext.close();
    await fanContext.close();
  });

  it_("without JavaScript the buy form still works and a resubmit does not buy twice", async () => {
    const api = await fetch(`${site.baseUrl}/api/sellers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        email: `nojs-${randomUUID()}@example.com`,
        password: "a long enough password",
        name: "No JS",
      }),
    });
    const { apiKey } = (await api.json()) as { apiKey: string };
    const created = await fetch(`${site.baseUrl}/api/drops`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({
        title: "Plain form",
        priceCents: 500,
        quantity: 3,
        startsAt: new Date().toISOString(),
      }),
    });
    const { drop } = (await created.json()) as { drop: { id: string; slug: string } };

    const context = await site.browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${site.baseUrl}/d/${drop.slug}`);
    await page.locator("#fan").fill("plain@example.com");
    await page.locator("#buy-button").click();
    await page.waitForLoadState();
    expect(await page.locator("#purchase-result").getAttribute("data-outcome")).toBe("bought");
    const first = await page.locator("#purchase-result").textContent();
    // Post/redirect/get: the browser sits on the receipt's own address, so a reload shows it again.
    expect(page.url()).toMatch(/\/orders\/[0-9a-f-]{36}\?k=/);
    await page.reload();
    expect(await page.locator("#purchase-result").textContent()).toBe(first);
    const audit = await fetch(`${site.baseUrl}/api/drops/${drop.id}/audit`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(((await audit.json()) as { sold: number }).sold).toBe(1);
    await shot(page, "6-no-js");
    await context.close();
  });
});
