import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { migrate } from "../src/db/migrate";
import { openPglite } from "../src/db/pglite";
import { SESSION_COOKIE } from "../src/web/session";
import { DAY_MS, isoFromNow } from "./support/clock";
import { TestBrowser } from "./web-seller-browser";

let db: Database;
let app: ReturnType<typeof createApp>;
const ada = { name: "Ada's Shop", email: "ada@example.com", password: "correct horse battery" };

beforeAll(async () => {
  db = await openPglite("memory");
  await migrate(db);
  app = createApp({ db, logError: () => undefined });
  expect((await new TestBrowser(app).signUp(ada)).status).toBe(303);
});

afterAll(() => db.close());

async function signedIn(): Promise<TestBrowser> {
  const browser = new TestBrowser(app);
  expect((await browser.signIn(ada.email, ada.password)).status).toBe(303);
  return browser;
}

describe("sign-up", () => {
  test("the form labels every field and carries a csrf token", async () => {
    const html = await (await new TestBrowser(app).get("/seller/sign-up")).text();
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<label for="email">Email</label>');
    expect(html).toContain('<label for="password">Password</label>');
    expect(html).toMatch(/<input type="hidden" name="csrf" value="[A-Za-z0-9_-]{43}"\/>/);
  });

  test("creates the seller, signs them in and redirects to their drops", async () => {
    const browser = new TestBrowser(app);
    const response = await browser.signUp({ name: "Bo", email: "Bo@Example.com", password: "0123456789" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/seller/drops");
    const html = await (await browser.get("/seller/drops")).text();
    expect(html).toContain('<a href="/seller/account">Bo</a>');
    expect(html).toContain('<div class="card empty-state" id="no-drops">');
    expect(html).toContain('<a class="button" href="/seller/drops/new" id="empty-new-drop">New drop</a>');
  });

  test("invalid fields come back next to their inputs with what was typed, and nothing is created", async () => {
    const browser = new TestBrowser(app);
    const response = await browser.signUp({ name: "Cy", email: "not-an-email", password: "short" });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('<p class="field-error" id="email-error">Email must be a valid address</p>');
    expect(html).toContain(
      '<p class="field-error" id="password-error">Password must be at least 10 characters</p>',
    );
    expect(html).toContain('value="not-an-email" required="" autocomplete="email" aria-invalid="true"');
    expect(html).toContain('value="Cy"');
    expect(html).not.toContain("short"); // passwords are never echoed
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  test("a taken email is a 409 with the message next to the email field", async () => {
    const response = await new TestBrowser(app).signUp({ ...ada, name: "Other" });
    expect(response.status).toBe(409);
    expect(await response.text()).toContain(
      '<p class="field-error" id="email-error">An account with this email already exists. Sign in instead?</p>',
    );
  });
});

describe("sign-in and sessions", () => {
  test("the session cookie is HttpOnly, SameSite=Lax, lasts 14 days, and is Secure off localhost", async () => {
    const local = new TestBrowser(app);
    const response = await local.signIn(ada.email, ada.password);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(cookie).toMatch(
      new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Max-Age=1209600; Path=/; HttpOnly; SameSite=Lax$`),
    );

    const remote = new TestBrowser(app, "https://shop.example");
    const secure = await remote.signIn(ada.email, ada.password);
    expect(secure.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))).toMatch(
      /; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
  });

  test("only a hash of the session token is stored", async () => {
    const browser = await signedIn();
    const token = browser.cookies.get(SESSION_COOKIE)!;
    const { rows } = await db.query<{ token_hash: string }>("SELECT token_hash FROM seller_sessions");
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((row) => row.token_hash === token)).toBe(false);
  });

  test("a wrong password shows one message for both fields, keeps the email, and sets no session", async () => {
    const browser = new TestBrowser(app);
    const response = await browser.signIn(ada.email, "wrong password!");
    expect(response.status).toBe(401);
    const html = await response.text();
    expect(html).toContain(
      '<div class="notice bad" role="alert" id="form-problem">Email or password is wrong.</div>',
    );
    expect(html).toContain(`value="${ada.email}"`);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);

    const unknown = await new TestBrowser(app).signIn("nobody@example.com", "wrong password!");
    expect(unknown.status).toBe(401);
    expect(await unknown.text()).toContain("Email or password is wrong.");
  });

  test("an empty form is a 400 with both fields marked", async () => {
    const response = await new TestBrowser(app).signIn("", "");
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('<p class="field-error" id="email-error">Email must be a valid address</p>');
    expect(html).toContain('<p class="field-error" id="password-error">Password is required</p>');
  });

  test("signing in replaces the browser's session id and ends the old session", async () => {
    const browser = await signedIn();
    const first = browser.cookies.get(SESSION_COOKIE)!;
    // Signed in, the sign-in page redirects away; the form can still be sent (e.g. from an old tab).
    const again = await browser.submit("/seller/account", "/seller/sign-in", ada);
    expect(again.status).toBe(303);
    const second = browser.cookies.get(SESSION_COOKIE)!;
    expect(second).not.toBe(first);

    const stale = new TestBrowser(app);
    stale.cookies.set(SESSION_COOKIE, first);
    const response = await stale.get("/seller/drops");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/seller/sign-in?next=%2Fseller%2Fdrops");
    expect(stale.cookies.has(SESSION_COOKIE)).toBe(false); // the dead cookie is removed
  });

  test("a session id planted before sign-in is not the one used after it", async () => {
    const browser = new TestBrowser(app);
    browser.cookies.set(SESSION_COOKIE, "planted-by-an-attacker-000000000000000000000");
    await browser.signIn(ada.email, ada.password);
    expect(browser.cookies.get(SESSION_COOKIE)).not.toBe("planted-by-an-attacker-000000000000000000000");
  });

  test("an expired session signs nobody in", async () => {
    const browser = await signedIn();
    await db.query(
      "UPDATE seller_sessions SET created_at = now() - interval '15 days', expires_at = now() - interval '1 day'",
    );
    const response = await browser.get("/seller/account");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/seller/sign-in?next=%2Fseller%2Faccount");
  });

  test("signing in returns to the page asked for, but never to another site", async () => {
    const browser = new TestBrowser(app);
    const token = await browser.csrfFrom("/seller/sign-in?next=%2Fseller%2Faccount");
    const back = await browser.post("/seller/sign-in", {
      csrf: token,
      next: "/seller/account",
      email: ada.email,
      password: ada.password,
    });
    expect(back.headers.get("location")).toBe("/seller/account");

    const other = new TestBrowser(app);
    const evil = await other.post("/seller/sign-in", {
      csrf: await other.csrfFrom("/seller/sign-in"),
      next: "//evil.example/seller/",
      email: ada.email,
      password: ada.password,
    });
    expect(evil.headers.get("location")).toBe("/seller/drops");
  });

  test("signing out ends the session on the server, not only in the browser", async () => {
    const browser = await signedIn();
    const token = browser.cookies.get(SESSION_COOKIE)!;
    const response = await browser.submit("/seller/drops", "/seller/sign-out", {});
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/");
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);

    const replay = new TestBrowser(app);
    replay.cookies.set(SESSION_COOKIE, token);
    expect((await replay.get("/seller/drops")).status).toBe(303);
  });
});

describe("signed-out visitors", () => {
  test("are sent to sign in, and htmx requests get HX-Redirect instead of a page", async () => {
    const page = await new TestBrowser(app).get("/seller/drops/some-drop");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/seller/sign-in?next=%2Fseller%2Fdrops%2Fsome-drop");

    const fragment = await new TestBrowser(app).get("/seller/drops/some-drop/stats", {
      "hx-request": "true",
      "hx-current-url": "http://localhost/seller/drops/some-drop",
    });
    expect(fragment.status).toBe(401);
    // Back to the page the fragment belongs to, never to the fragment or to another site.
    expect(fragment.headers.get("hx-redirect")).toBe("/seller/sign-in?next=%2Fseller%2Fdrops%2Fsome-drop");
    const elsewhere = await new TestBrowser(app).get("/seller/drops/some-drop/stats", {
      "hx-request": "true",
      "hx-current-url": "https://evil.example/seller/drops/x",
    });
    expect(elsewhere.headers.get("hx-redirect")).toBe("/seller/sign-in?next=%2Fseller%2Fdrops");
    expect(await fragment.text()).toBe("");
  });

  test("see the landing page with sign-up and sign-in links", async () => {
    const html = await (await new TestBrowser(app).get("/")).text();
    expect(html).toContain("<h1>Sell exactly N. Never N+1.</h1>");
    expect(html).toContain('<a class="button" href="/seller/sign-up" id="sign-up-link">');
    expect(html).toContain('<a class="button secondary" href="/seller/sign-in" id="sign-in-link">');
  });
});

describe("CSRF protection", () => {
  test("a form without its token is refused with 403 and changes nothing", async () => {
    const browser = await signedIn();
    const keyHash = () =>
      db.query<{ h: string }>("SELECT api_key_hash AS h FROM sellers WHERE email = 'ada@example.com'");
    const before = (await keyHash()).rows[0]!.h;
    const response = await browser.post("/seller/account/api-key", {});
    expect(response.status).toBe(403);
    expect((await keyHash()).rows[0]!.h).toBe(before);
    expect(await response.text()).toContain(
      '<p id="error-message">This form has expired or did not come from this site. Reload the page and try again.</p>',
    );
    const noToken = await new TestBrowser(app).post("/seller/sign-in", {
      email: ada.email,
      password: ada.password,
    });
    expect(noToken.status).toBe(403);
  });

  test("a token from another browser is refused", async () => {
    const browser = await signedIn();
    const other = await signedIn();
    const theirs = await other.csrfFrom("/seller/account");
    const response = await browser.post("/seller/account/api-key", { csrf: theirs });
    expect(response.status).toBe(403);
  });

  test("a post from another origin is refused even with the right token", async () => {
    const browser = await signedIn();
    const token = await browser.csrfFrom("/seller/account");
    const crossOrigin = await browser.post(
      "/seller/account/api-key",
      { csrf: token },
      { origin: "https://evil.example" },
    );
    expect(crossOrigin.status).toBe(403);
    expect(await crossOrigin.text()).toContain("This form was sent from another site, so it was refused.");
    const crossSite = await browser.post(
      "/seller/account/api-key",
      { csrf: token },
      { "sec-fetch-site": "cross-site" },
    );
    expect(crossSite.status).toBe(403);
    const sameOrigin = await browser.post("/seller/account/api-key", { csrf: token });
    expect(sameOrigin.status).toBe(200);
  });

  test("the token changes with the session", async () => {
    const browser = new TestBrowser(app);
    const before = await browser.csrfFrom("/seller/sign-in");
    await browser.post("/seller/sign-in", { csrf: before, email: ada.email, password: ada.password });
    const after = await browser.csrfFrom("/seller/account");
    expect(after).not.toBe(before);
    expect((await browser.post("/seller/account/api-key", { csrf: before })).status).toBe(403);
  });
});

describe("API key", () => {
  test("is shown once after rotation, works on the API, and the previous one stops working", async () => {
    const browser = await signedIn();
    const account = await (await browser.get("/seller/account")).text();
    expect(account).toContain('<dd id="seller-email">ada@example.com</dd>');
    expect(account).not.toContain('id="api-key"');

    const rotated = await browser.submit("/seller/account", "/seller/account/api-key", {});
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get("cache-control")).toBe("no-store");
    const first = /<input id="api-key" type="text" readonly="" value="(dfl_[A-Za-z0-9_-]+)"/.exec(
      await rotated.text(),
    )?.[1];
    expect(first).toBeDefined();

    const drop = {
      title: "Key check",
      priceCents: 100,
      quantity: 1,
      startsAt: isoFromNow(30 * DAY_MS),
    };
    const create = (key: string) =>
      app.request("/api/drops", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(drop),
      });
    expect((await create(first!)).status).toBe(201);

    const again = await browser.submit("/seller/account", "/seller/account/api-key", {});
    const second = /value="(dfl_[A-Za-z0-9_-]+)"/.exec(await again.text())?.[1];
    expect(second).not.toBe(first);
    expect((await create(first!)).status).toBe(401);
    expect((await create(second!)).status).toBe(201);

    expect(await (await browser.get("/seller/account")).text()).not.toContain(second!);
  });
});
