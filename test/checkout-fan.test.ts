import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { openTestDatabase } from "./support/databases";
import { createDrop, createSeller } from "./support/shop-fixtures";

/** The fan page on a hold drop: the win shows a countdown and a pay form, then the receipt. */
describe("fan checkout pages", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    app = createApp({ db });
    ({ apiKey } = await createSeller(app));
  });
  afterAll(async () => db?.close());

  const form = (fields: Record<string, string>, htmx = true): RequestInit => ({
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: "http://localhost",
      ...(htmx ? { "hx-request": "true" } : {}),
    },
    body: new URLSearchParams(fields).toString(),
  });
  const decode = (s: string) => s.replaceAll("&amp;", "&");
  const attr = (html: string, name: string) => decode(new RegExp(`${name}="([^"]+)"`).exec(html)?.[1] ?? "");
  const win = async (slug: string, fan: string, key = crypto.randomUUID()) => {
    const res = await app.request(`/d/${slug}/buy`, form({ fan, idempotencyKey: key }));
    return { status: res.status, html: await res.text() };
  };

  it("a win shows the hold's countdown from the database and a pay form; a good card shows the receipt", async () => {
    const drop = await createDrop(app, apiKey, { holdMinutes: 10, quantity: 3 });
    const key = crypto.randomUUID();
    const won = await win(drop.slug, "page-fan@fans.test", key);
    expect(won.status).toBe(201);
    expect(won.html).toContain('data-outcome="held"');
    expect(won.html).toMatch(/Pay within<\/span> <b class="countdown-clock">(10:00|09:5\d)<\/b>/);
    const expiresAt = attr(won.html, "data-expires-at");

    // Neither buying again with the same form nor reloading the hold's page moves the expiry.
    const again = await win(drop.slug, "page-fan@fans.test", key);
    expect(attr(again.html, "data-expires-at")).toBe(expiresAt);
    const holdUrl = attr(won.html, "data-reload");
    const reloaded = await (await app.request(holdUrl)).text();
    expect(reloaded).toContain('data-outcome="held"');
    expect(attr(reloaded, "data-expires-at")).toBe(expiresAt);
    expect(reloaded).toContain("/static/hold.js");

    const payUrl = attr(won.html, "hx-post");
    const declined = await (await app.request(payUrl, form({ card: "4000000000000002" }))).text();
    expect(declined).toContain('data-outcome="pay_refused"');
    expect(declined).toContain("declined");
    const paid = await (await app.request(payUrl, form({ card: "4242424242424242" }))).text();
    expect(paid).toContain('data-outcome="bought"');
    expect(await (await app.request(holdUrl)).text()).toContain('data-outcome="bought"');
  });

  it("without JavaScript a payment redirects to the receipt; a release says the unit went back", async () => {
    const drop = await createDrop(app, apiKey, { holdMinutes: 10, quantity: 2 });
    const first = await win(drop.slug, "nojs@fans.test");
    const pay = await app.request(attr(first.html, "hx-post"), form({ card: "4242424242424242" }, false));
    expect(pay.status).toBe(303);
    expect(pay.headers.get("location")).toBe(attr(first.html, "data-reload"));

    const second = await win(drop.slug, "leaver@fans.test");
    const releaseUrl = attr(second.html, "hx-post").replace("/pay?", "/release?");
    const released = await (await app.request(releaseUrl, form({}))).text();
    expect(released).toContain('data-outcome="hold_released"');
    const stock = (await (await app.request(`/api/drops/${drop.id}`)).json()) as {
      drop: { remaining: number };
    };
    expect(stock.drop.remaining).toBe(1);
  });

  it("a hold link with a wrong code is not found", async () => {
    const drop = await createDrop(app, apiKey, { holdMinutes: 10 });
    const won = await win(drop.slug, "probe@fans.test");
    const url = attr(won.html, "data-reload").replace(/k=.*/, "k=wrong-code");
    expect((await app.request(url)).status).toBe(404);
    expect((await app.request(url.replace("?", "/pay?"), form({ card: "4242424242424242" }))).status).toBe(
      404,
    );
  });
});
