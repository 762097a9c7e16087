import { describe, expect, it } from "vitest";
import { browserSite } from "./support/chromium";

/**
 * Finding 8 in a real browser: under the Content-Security-Policy, Chromium reports no violation on the
 * fan page while htmx buys and the SSE counter updates, nor on the seller's pages (htmx polling).
 */
describe("abuse: the CSP in Chromium", () => {
  const site = browserSite("pglite", "test-results/abuse-csp");
  const it_ = site.run ? it : it.skip;

  it_("fan and seller pages work with no CSP violation", async () => {
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${site.baseUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
    const signUp = await post("/api/sellers", {
      email: "csp@example.com",
      password: "a long password",
      name: "Csp",
    });
    const { apiKey } = (await signUp.json()) as { apiKey: string };
    const created = await post(
      "/api/drops",
      { title: "Csp", priceCents: 100, quantity: 3, startsAt: new Date(Date.now() - 60_000).toISOString() },
      { authorization: `Bearer ${apiKey}` },
    );
    const { drop } = (await created.json()) as { drop: { slug: string } };

    const context = await site.browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/content security policy|refused to/i.test(message.text())) violations.push(message.text());
    });
    page.on("pageerror", (error) => violations.push(error.message));

    await page.goto(`${site.baseUrl}/d/${drop.slug}`);
    await page.locator("#buy-button:not([disabled])").waitFor({ timeout: 20_000 });
    expect(
      await post(`/api/drops/${drop.slug}/purchase`, { fan: "other@example.com" }).then((r) => r.status),
    ).toBe(201);
    await expect
      .poll(() => page.locator("#drop-state").textContent(), { timeout: 10_000 })
      .toMatch(/2\s*of 3 left/);
    await page.locator("#fan").fill("csp-fan@example.com");
    await page.locator("#buy-button").click();
    await page.locator("#purchase-result").waitFor();
    expect(await page.locator("#purchase-result").getAttribute("data-outcome")).toBe("bought");

    for (const path of ["/", "/seller/sign-up", "/seller/sign-in"]) await page.goto(`${site.baseUrl}${path}`);
    await context.close();
    expect(violations).toEqual([]);
  });
});
