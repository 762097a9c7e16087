import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { DAY_MS, localFromNow } from "./support/clock";
import { openTestDatabase } from "./support/databases";
import { createDrop, createSeller, json } from "./support/shop-fixtures";
import { TestBrowser } from "./web-seller-browser";

/**
 * Outside-review finding 8: no security headers (fan pages could be framed over the Buy button). Every
 * kind of response carries a CSP without inline script or style, frame-ancestors 'none', nosniff and a
 * referrer policy; HSTS only over https. HTML pages hold no inline script, style or handler, so the CSP
 * costs nothing.
 */
describe("abuse: security headers on every kind of response", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let seller: TestBrowser;
  let slug: string;
  let dropId: string;

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    app = createApp({ db, logError: () => undefined });
    const { apiKey } = await createSeller(app);
    ({ slug, id: dropId } = await createDrop(app, apiKey, { quantity: 3 }));
    seller = new TestBrowser(app);
    await seller.signUp({
      name: "Hed",
      email: `hed-${randomUUID()}@example.com`,
      password: "a long password",
    });
    await seller.submit("/seller/drops/new", "/seller/drops", {
      title: "Framed?",
      description: "",
      price: "1.00",
      currency: "usd",
      quantity: "3",
      maxPerFan: "1",
      startsAt: localFromNow(30 * DAY_MS),
      timeZone: "UTC",
    });
  });
  afterAll(async () => db?.close());

  const responses: [string, () => Response | Promise<Response>][] = [
    ["fan page", () => app.request(`/d/${slug}`)],
    [
      "fan buy fragment",
      () =>
        app.request(`/d/${slug}/buy`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
          body: new URLSearchParams({ fan: "f@example.com", idempotencyKey: randomUUID() }).toString(),
        }),
    ],
    ["fan page not found", () => app.request("/d/no-such-drop")],
    [
      "shop page (placeholder pictures)",
      async () => {
        const page = await (await app.request(`/d/${slug}`)).text();
        return app.request(page.match(/<p class="drop-shop"><a href="(\/s\/[^"]+)"/)![1]!);
      },
    ],
    ["live stock stream (SSE)", () => app.request(`/d/${slug}/stream`)],
    ["landing page", () => app.request("/")],
    ["sign-in page", () => app.request("/seller/sign-in")],
    ["redirect to sign-in", () => app.request("/seller/drops")],
    ["seller drops page", () => seller.get("/seller/drops")],
    ["seller new-drop form", () => seller.get("/seller/drops/new")],
    ["seller account page", () => seller.get("/seller/account")],
    ["forged form (403 page)", () => app.request("/seller/sign-in", { method: "POST" })],
    ["API drop JSON", () => app.request(`/api/drops/${dropId}`)],
    ["API 400", () => app.request(`/api/drops/${dropId}/purchase`, json({ fan: 5 }))],
    ["API 404", () => app.request("/api/nothing-here")],
    ["stylesheet", () => app.request("/static/app.css")],
    ["htmx script", () => app.request("/static/htmx.min.js")],
    ["health check", () => app.request("/healthz")],
  ];

  it.each(responses)("%s", async (_name, send) => {
    const res = await send();
    expect(res.status).toBeLessThan(500);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("same-origin");
    expect(res.headers.get("strict-transport-security")).toBeNull();
    if (res.headers.get("content-type")?.startsWith("text/html")) {
      const html = await res.text();
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
      expect(html).not.toMatch(/<style[\s>]/i);
      expect(html).not.toMatch(/\sstyle=/i);
      expect(html).not.toMatch(/\son[a-z]+=/i);
      if (html.includes("htmx.min.js")) expect(html).toContain('name="htmx-config"');
    } else {
      await res.body?.cancel();
    }
  });

  it("adds HSTS only when the request came over https", async () => {
    const https = await app.request(`https://localhost/d/${slug}`);
    expect(https.headers.get("strict-transport-security")).toMatch(/^max-age=\d+; includeSubDomains$/);
    // A client cannot ask for it over plain http by claiming a proxy said https.
    const claimed = await app.request(`/d/${slug}`, { headers: { "x-forwarded-proto": "https" } });
    expect(claimed.headers.get("strict-transport-security")).toBeNull();
  });

  it("trusts a proxy's X-Forwarded-Proto for HSTS only when TRUST_PROXY says so", async () => {
    const behindProxy = createApp({ db, logError: () => undefined, trustProxy: 1 });
    const res = await behindProxy.request(`/d/${slug}`, { headers: { "x-forwarded-proto": "https" } });
    expect(res.headers.get("strict-transport-security")).toMatch(/^max-age=/);
  });

  it("every signed-in seller page is Cache-Control: no-store, /seller/account first (issue 15 §3)", async () => {
    for (const path of ["/seller/account", "/seller/drops", "/seller/drops/new"]) {
      const res = await seller.get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("cache-control"), path).toBe("no-store");
    }
  });

  it("the test provider's webhook refuses an unsigned body with 400 invalid_signature (issue 15 §3)", async () => {
    for (const body of ["{}", '{"type":"payment_intent.succeeded","data":{"object":{"id":"pi_x"}}}', "x"]) {
      const res = await app.request("/api/payments/webhook", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_signature");
    }
  });

  it("the 500 pages carry them too", async () => {
    const broken: Database = {
      ...db,
      query: async () => {
        throw new Error("the database fell over");
      },
    };
    const failing = createApp({ db: broken, logError: () => undefined });
    for (const res of [
      await failing.request("/seller/drops", { headers: { cookie: "dfl_session=abc" } }),
      await failing.request(`/api/drops/${dropId}`),
    ]) {
      expect(res.status).toBe(500);
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });
});
