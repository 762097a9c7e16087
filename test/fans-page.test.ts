/**
 * The drop page's verified-fans step (issue 17 §1) and notify-me form, driven as a browser would through
 * app.request: htmx fragments and plain form posts, the HttpOnly cookie, the dev mailbox (no SMTP_URL)
 * where codes land on a laptop, and the origin check that keeps another site from spending the cookie.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import * as repo from "../src/repository";
import { HOUR_MS, testClock } from "./support/clock";
import { TEST_RETRY_POLICY } from "./support/contention";
import { openTestDatabase } from "./support/databases";
import { createDrop, createSeller } from "./support/shop-fixtures";

describe("the verified-fans step on the drop page", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    app = createApp({ db, retryPolicy: TEST_RETRY_POLICY, logError: (e) => console.error(e) });
    ({ apiKey } = await createSeller(app));
  }, 120_000);
  afterAll(async () => db?.close());

  const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  const htmx = { "hx-request": "true" };

  async function codeInMailbox(email: string): Promise<string> {
    await app.fans.settled();
    const mail = (await repo.listMailbox(db, 50)).find((m) => m.recipient === email);
    expect(mail).toBeDefined();
    return /\b(\d{6})\b/.exec(mail!.subject)![1]!;
  }

  it("asks for the email first, then the code, then buys in one click with the cookie", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 3, verifiedFans: true });
    const page = await (await app.request(`/d/${drop.slug}`)).text();
    expect(page).toContain("Get ready: confirm your email");
    expect(page).not.toContain('id="buy-button"');
    expect(page).toContain("verified fans only");

    const sent = await app.request(
      `/d/${drop.slug}/verify`,
      form({ step: "email", email: "Mia@Example.com" }, htmx),
    );
    expect(sent.status).toBe(200);
    const codeStep = await sent.text();
    expect(codeStep).toContain('data-step="code"');
    expect(codeStep).toContain("<strong>Mia@Example.com</strong>");

    const code = await codeInMailbox("mia@example.com");
    const wrong = code === "000000" ? "111111" : "000000";
    const refused = await app.request(
      `/d/${drop.slug}/verify`,
      form({ step: "code", email: "mia@example.com", code: wrong }, htmx),
    );
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain("4 tries left");

    const confirmed = await app.request(
      `/d/${drop.slug}/verify`,
      form({ step: "code", email: "mia@example.com", code }, htmx),
    );
    expect(confirmed.status).toBe(201);
    const cookie = confirmed.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^dfl_fan=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(await confirmed.text()).toContain("Buying as <strong>mia@example.com</strong>");
    const fanCookie = cookie.split(";")[0]!;

    // A fresh page with the cookie: the buy button, no identity field.
    const ready = await (await app.request(`/d/${drop.slug}`, { headers: { cookie: fanCookie } })).text();
    expect(ready).toContain('id="buy-button"');
    expect(ready).not.toContain('name="fan"');

    // One click: the fan is the verified address, whatever a doctored form says.
    const bought = await app.request(
      `/d/${drop.slug}/buy`,
      form({ idempotencyKey: "k-1", fan: "someone-else" }, { ...htmx, cookie: fanCookie }),
    );
    expect(bought.status).toBe(201);
    const { rows } = await db.query<{ fan_shown: string }>(
      "SELECT fan_shown FROM orders WHERE drop_id = $1::uuid",
      [drop.id],
    );
    expect(rows.map((r) => r.fan_shown)).toEqual(["mia@example.com"]);

    // Without the cookie: the email step again (401), nothing sold.
    const anonymous = await app.request(
      `/d/${drop.slug}/buy`,
      form({ idempotencyKey: "k-2", fan: "x" }, htmx),
    );
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toContain("Get ready: confirm your email");

    // A post from another site may not spend the cookie.
    const forged = await app.request(
      `/d/${drop.slug}/buy`,
      form({ idempotencyKey: "k-3" }, { cookie: fanCookie, "sec-fetch-site": "cross-site" }),
    );
    expect(forged.status).toBe(403);
    expect(await db.query("SELECT 1 FROM orders WHERE drop_id = $1::uuid", [drop.id])).toMatchObject({
      rows: [{}],
    });
  });

  it("a fan confirms before go-live, and at go-live the page is one click", async () => {
    const drop = await createDrop(app, apiKey, {
      quantity: 3,
      verifiedFans: true,
      startsAt: new Date(testClock() + HOUR_MS).toISOString(),
    });
    const upcoming = await (await app.request(`/d/${drop.slug}`)).text();
    expect(upcoming).toContain("Get ready: confirm your email");
    await app.request(`/d/${drop.slug}/verify`, form({ step: "email", email: "early@example.com" }, htmx));
    const code = await codeInMailbox("early@example.com");
    const confirmed = await app.request(
      `/d/${drop.slug}/verify`,
      form({ step: "code", email: "early@example.com", code }, htmx),
    );
    expect(confirmed.status).toBe(201);
    const fanCookie = (confirmed.headers.get("set-cookie") ?? "").split(";")[0]!;
    const waiting = await (await app.request(`/d/${drop.slug}`, { headers: { cookie: fanCookie } })).text();
    expect(waiting).not.toContain("Get ready: confirm your email");
    expect(waiting).toContain("Buying as <strong>early@example.com</strong>");

    // Go-live (on the database clock): the same cookie, one click, no field.
    await db.query("UPDATE drops SET starts_at = now() - interval '1 second' WHERE id = $1::uuid", [drop.id]);
    const live = await (await app.request(`/d/${drop.slug}`, { headers: { cookie: fanCookie } })).text();
    expect(live).toContain('id="buy-button"');
    expect(live).not.toContain('name="fan"');
    const bought = await app.request(
      `/d/${drop.slug}/buy`,
      form({ idempotencyKey: "early-1" }, { ...htmx, cookie: fanCookie }),
    );
    expect(bought.status).toBe(201);
  });

  it("works without JS: each step a page, and post/redirect/get once verified", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 3, verifiedFans: true });
    const codePage = await app.request(
      `/d/${drop.slug}/verify`,
      form({ step: "email", email: "nojs@example.com" }),
    );
    expect(codePage.status).toBe(200);
    expect(await codePage.text()).toContain("<html");
    const code = await codeInMailbox("nojs@example.com");
    const done = await app.request(
      `/d/${drop.slug}/verify`,
      form({ step: "code", email: "nojs@example.com", code }),
    );
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe(`/d/${drop.slug}`);
    expect(done.headers.get("set-cookie")).toMatch(/^dfl_fan=/);
  });

  it("refuses a bad address in the step with the fan's words, and another site's post", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 3, verifiedFans: true });
    const bad = await app.request(`/d/${drop.slug}/verify`, form({ step: "email", email: "nope" }, htmx));
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("email must be an email address");
    const forged = await app.request(
      `/d/${drop.slug}/verify`,
      form({ step: "email", email: "a@example.com" }, { origin: "https://evil.example" }),
    );
    expect(forged.status).toBe(403);
  });

  it("an open drop's page is as before: the identity field, no email step", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 3 });
    const page = await (await app.request(`/d/${drop.slug}`)).text();
    expect(page).toContain('name="fan"');
    expect(page).not.toContain("Get ready: confirm your email");
  });

  it("offers 'Email me at go-live' on an upcoming drop only, and confirms by the mailed link", async () => {
    const upcoming = await createDrop(app, apiKey, {
      startsAt: new Date(testClock() + HOUR_MS).toISOString(),
    });
    expect(await (await app.request(`/d/${upcoming.slug}`)).text()).toContain("Email me at go-live");
    const live = await createDrop(app, apiKey, {});
    expect(await (await app.request(`/d/${live.slug}`)).text()).not.toContain("Email me at go-live");

    const signed = await app.request(
      `/d/${upcoming.slug}/notify`,
      form({ email: "Notify@Example.com" }, htmx),
    );
    expect(signed.status).toBe(201);
    expect(await signed.text()).toContain("Check your inbox");
    await app.notifyMe.settled();
    const mail = (await repo.listMailbox(db, 50)).find((m) => m.recipient === "notify@example.com")!;
    const link = /https?:\/\/\S+\/notify\/confirm\?\S+/.exec(mail.text)![0];
    const url = new URL(link);
    // A link with another token confirms nothing.
    const doctored = await app.request(`${url.pathname}?s=${url.searchParams.get("s")}&t=${"x".repeat(32)}`);
    expect(doctored.status).toBe(404);
    const confirmed = await app.request(`${url.pathname}${url.search}`);
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain("You are on the list");
    // Asking again sends no second confirmation.
    await app.request(`/d/${upcoming.slug}/notify`, form({ email: "notify@example.com" }, htmx));
    await app.notifyMe.settled();
    expect((await repo.listMailbox(db, 50)).filter((m) => m.recipient === "notify@example.com")).toHaveLength(
      1,
    );
    // A live drop takes no signup.
    expect(
      (await app.request(`/d/${live.slug}/notify`, form({ email: "late@example.com" }, htmx))).status,
    ).toBe(409);
  });
});
