import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { openTestDatabase } from "./support/databases";
import { createDrop, json } from "./support/shop-fixtures";
import { TestBrowser } from "./web-seller-browser";

/**
 * Issue 15 §3: `GET /static/constructor` answered 500 (a file table looked up as a plain object), and a
 * hold's pay form with a broken multipart body answered 500 (the body was parsed without the 400 guard).
 * Every route the app has (read from app.routes, so a later route is covered too) is called with each
 * path segment replaced by each Object.prototype name, signed in and with a valid form token, so the name
 * reaches the handlers: no answer may be a 5xx.
 */
const PROTOTYPE_NAMES = [
  "constructor",
  "__proto__",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "toLocaleString",
  "__defineGetter__",
  "__lookupGetter__",
  "prototype",
];

describe("prototype names in every route's path segments", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let browser: TestBrowser;
  let apiKey: string;
  let known: Record<string, string>;
  let payUrl: string;
  const unexpected: unknown[] = [];

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    app = createApp({ db, logError: (error) => unexpected.push(error) });
    const email = `proto-${randomUUID()}@example.com`;
    const res = await app.request(
      "/api/sellers",
      json({ email, password: "correct horse battery", name: "P" }),
    );
    apiKey = ((await res.json()) as { apiKey: string }).apiKey;
    browser = new TestBrowser(app);
    expect((await browser.signIn(email, "correct horse battery")).status).toBe(303);
    const drop = await createDrop(app, apiKey, { holdMinutes: 10, quantity: 5 });
    const won = await app.request(`/d/${drop.slug}/buy`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "http://localhost",
        "hx-request": "true",
      },
      body: new URLSearchParams({ fan: "proto@fans.test", idempotencyKey: randomUUID() }).toString(),
    });
    payUrl = (/hx-post="([^"]+\/pay[^"]*)"/.exec(await won.text())?.[1] ?? "").replaceAll("&amp;", "&");
    expect(payUrl).toMatch(/\/orders\/[0-9a-f-]{36}\/pay\?k=/);
    const orderId = /\/orders\/([0-9a-f-]{36})\//.exec(payUrl)![1]!;
    known = { ref: drop.slug, slug: drop.slug, id: orderId, orderId, imageId: randomUUID(), name: "app.css" };
  });
  afterAll(async () => db?.close());

  async function call(method: string, path: string): Promise<Response> {
    const headers: Record<string, string> = {
      origin: "http://localhost",
      cookie: browser.cookieHeader(),
      authorization: `Bearer ${apiKey}`,
    };
    let body: string | undefined;
    if (method !== "GET") {
      if (path.startsWith("/api/")) {
        headers["content-type"] = "application/json";
        body = JSON.stringify({ fan: "proto@fans.test", card: "4242424242424242", title: "T" });
      } else {
        headers["content-type"] = "application/x-www-form-urlencoded";
        const csrf = await browser.csrfFrom("/seller/drops/new");
        body = new URLSearchParams({ csrf, fan: "proto@fans.test", card: "4242424242424242" }).toString();
      }
    }
    const res = await app.request(`http://localhost${path}?k=constructor`, { method, headers, body });
    if (res.headers.get("content-type")?.includes("event-stream")) await res.body?.cancel();
    return res;
  }

  it("no route answers 5xx for a path segment named after an Object.prototype property", async () => {
    const routes = [
      ...new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`)),
    ].filter((route) => route.includes("/:") && !/sign-out|api-key/.test(route));
    expect(routes.length).toBeGreaterThan(30);
    const failures: string[] = [];
    for (const route of routes) {
      const [method, pattern] = route.split(" ") as [string, string];
      const params = [...pattern.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      for (const name of PROTOTYPE_NAMES) {
        // Each segment alone (the others valid, so the name reaches deepest), then all of them at once.
        const variants = params.map((target) => (p: string) => (p === target ? name : (known[p] ?? "x")));
        if (params.length > 1) variants.push(() => name);
        for (const value of variants) {
          const path = pattern.replace(/:(\w+)/g, (_, p: string) => encodeURIComponent(value(p)));
          const res = await call(method, path);
          if (res.status >= 500)
            failures.push(`${method} ${path} -> ${res.status}: ${(await res.text()).slice(0, 200)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(unexpected.map(String)).toEqual([]);
  }, 300_000);

  it("GET /static/<prototype name> is 404", async () => {
    for (const name of PROTOTYPE_NAMES) expect((await app.request(`/static/${name}`)).status).toBe(404);
  });

  it("a hold's pay form with a broken multipart body is a 400 with a reason, and the hold is untouched", async () => {
    const res = await app.request(payUrl, {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=broken", origin: "http://localhost" },
      body: '--broken\r\nContent-Disposition: form-data; name="card"\r\n\r\n4242',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("could not be read");
    const { rows } = await db.query<{ status: string }>("SELECT status FROM orders");
    expect(rows.map((row) => row.status)).toEqual(["held"]);
    expect(unexpected.map(String)).toEqual([]);
  });
});
