import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { DAY_MS, localFromNow } from "./support/clock";
import { imageForm, makePicture } from "./support/pictures";
import { appWithSeller, hoodieDrop } from "./support/shop-fixtures";
import { TestBrowser } from "./web-seller-browser";

let db: Database;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  ({ db, app } = await appWithSeller("shoppage@example.com"));
});
afterAll(async () => db?.close());

describe("the shop page, /s/<shop>", () => {
  it("lists a shop's live and upcoming drops, and the ones that sold out, never rehearsals", async () => {
    const { seller: kicks } = await app.shop.createSeller({
      email: `kicks-${randomUUID()}@example.com`,
      name: "Berlin Kicks",
      password: "a long password",
    });
    const live = await app.shop.createDrop(kicks, hoodieDrop({ title: "Live Hoodie" }));
    const soon = await app.shop.createDrop(
      kicks,
      hoodieDrop({ title: "Soon Sneaker", startsAt: new Date(Date.now() + 86_400_000) }),
    );
    const gone = await app.shop.createDrop(kicks, hoodieDrop({ title: "Gone Cap", quantity: 1 }));
    await app.shop.purchase(gone.id, { fan: "x" });
    await app.shop.createDrop(kicks, hoodieDrop({ title: "Rehearsal copy" }), { rehearsalOf: live.id });

    const fan = await (await app.request(`/d/${live.slug}`)).text();
    const href = /<p class="drop-shop"><a href="(\/s\/[a-z0-9-]+)">Berlin Kicks<\/a><\/p>/.exec(fan)?.[1];
    expect(href).toMatch(/^\/s\/berlin-kicks(-[0-9a-f]{6})?$/);
    const res = await app.request(href!);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<h1>Berlin Kicks</h1>");
    const order = ["Live now", "Live Hoodie", "Coming up", "Soon Sneaker", "Sold out", "Gone Cap"];
    const positions = order.map((text) => html.indexOf(text));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(html).toContain(`href="/d/${soon.slug}"`);
    expect(html).not.toContain("Rehearsal copy");
    expect(html).toContain(`<a class="shop-home" href="${href}">`); // the shop leads the top bar, not Dropfront
  });

  it("gives a seller from before shop addresses one the first time a page needs it", async () => {
    const { seller: old } = await app.shop.createSeller({
      email: `old-${randomUUID()}@example.com`,
      name: "Old Timer",
      password: "a long password",
    });
    await db.query("UPDATE sellers SET shop_slug = NULL WHERE id = $1::uuid", [old.id]);
    const drop = await app.shop.createDrop(old, hoodieDrop({ title: "Vintage" }));
    const html = await (await app.request(`/d/${drop.slug}`)).text();
    const slug = /href="\/s\/([a-z0-9-]+)">Old Timer</.exec(html)?.[1];
    expect(slug).toMatch(/^old-timer/);
    const { rows } = await db.query<{ shop_slug: string }>(
      "SELECT shop_slug FROM sellers WHERE id = $1::uuid",
      [old.id],
    );
    expect(rows[0]!.shop_slug).toBe(slug);
    expect((await app.request(`/s/${slug}`)).status).toBe(200);
  });

  it("gives two shops of the same name different addresses", async () => {
    const twins = await Promise.all(
      [1, 2].map(() =>
        app.shop.createSeller({
          email: `twin-${randomUUID()}@example.com`,
          name: "Twin",
          password: "a long password",
        }),
      ),
    );
    const { rows } = await db.query<{ shop_slug: string }>(
      "SELECT shop_slug FROM sellers WHERE id = ANY($1::uuid[])",
      [twins.map((t) => t.seller.id)],
    );
    expect(new Set(rows.map((r) => r.shop_slug)).size).toBe(2);
    expect(rows.every((r) => r.shop_slug.startsWith("twin"))).toBe(true);
  });

  it("answers an unknown shop with a 404 page", async () => {
    for (const slug of ["no-such-shop", "BAD!", "x".repeat(80)]) {
      const res = await app.request(`/s/${slug}`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("Shop not found");
    }
  });
});

describe("pictures from the seller's pages", () => {
  const password = "a long enough password";

  async function signedIn() {
    const browser = new TestBrowser(app);
    await browser.signUp({ name: "Picture Shop", email: `pics-${randomUUID()}@example.com`, password });
    return browser;
  }

  /** Sends a multipart form with the page's csrf token, as the browser does for a form with a file. */
  async function postForm(browser: TestBrowser, page: string, action: string, form: FormData) {
    form.append("csrf", await browser.csrfFrom(page));
    return app.request(`${browser.origin}${action}`, {
      method: "POST",
      body: form,
      headers: { cookie: browser.cookieHeader(), origin: browser.origin },
    });
  }

  const newDropForm = (picture?: Uint8Array) => {
    const form = picture ? imageForm(picture) : new FormData();
    const fields = { title: "Pictured", price: "20.00", currency: "USD", quantity: "5", maxPerFan: "1" };
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append("startsAt", localFromNow(30 * DAY_MS));
    form.append("timeZone", "UTC");
    return form;
  };

  it("takes a picture with the new-drop form, shows it on the Images card, and removes it there", async () => {
    const browser = await signedIn();
    const created = await postForm(
      browser,
      "/seller/drops/new",
      "/seller/drops",
      newDropForm(await makePicture(900, 900, "jpeg")),
    );
    expect(created.status).toBe(303);
    const dashboard = created.headers.get("location")!;
    expect(dashboard).toMatch(/^\/seller\/drops\/pictured-[a-z0-9]+$/);
    const slug = dashboard.split("/").pop()!;

    const page = await (await browser.get(dashboard)).text();
    expect(page).toContain(`hx-get="/seller/drops/${slug}/images" hx-trigger="load"`);
    const card = await (await browser.get(`/seller/drops/${slug}/images`, { "hx-request": "true" })).text();
    expect(card).toMatch(/^<section id="drop-images"/);
    const imageId = /action="\/seller\/drops\/[^/]+\/images\/([0-9a-f-]{36})\/delete"/.exec(card)?.[1];
    expect(imageId).toBeDefined();
    const fan = await (await app.request(`/d/${slug}`)).text();
    expect(fan).toContain(`src="/images/${imageId}/900-`);

    const removed = await browser.submit(
      `/seller/drops/${slug}/images`,
      `/seller/drops/${slug}/images/${imageId}/delete`,
      {},
    );
    expect(removed.status).toBe(303);
    const after = await (await browser.get(`/seller/drops/${slug}/images`)).text();
    expect(after).toContain("No pictures yet");
  });

  it("keeps a picture chosen on a form with other errors, shows it, and gives it to the drop once fixed (issue 18 §5.8)", async () => {
    const browser = await signedIn();
    const form = newDropForm(await makePicture(300, 300));
    form.set("title", "");
    form.set("price", "lots");
    const res = await postForm(browser, "/seller/drops/new", "/seller/drops", form);
    expect(res.status).toBe(400);
    const html = await res.text();
    // Every problem at once, and no word about choosing the picture again: it is kept, and shown.
    expect(html).toContain('id="title-error"');
    expect(html).toContain('id="price-error"');
    expect(html).not.toContain('id="image-error"');
    expect(html).toContain('id="kept-picture"');
    const pendingId = /name="pendingPicture" value="([0-9a-f-]{36})"/.exec(html)?.[1];
    expect(pendingId).toBeDefined();
    const preview = /<div class="kept-picture" id="kept-picture"><img src="([^"]+)"/.exec(html)?.[1];
    expect((await app.request(preview!)).status).toBe(200);
    // The picture field leads the form: the product first.
    expect(html.indexOf('id="image"')).toBeLessThan(html.indexOf('id="title"'));

    // Another seller cannot take it with the id.
    const other = await signedIn();
    const stolen = newDropForm();
    stolen.set("pendingPicture", pendingId!);
    const theirs = await postForm(other, "/seller/drops/new", "/seller/drops", stolen);
    expect(theirs.status).toBe(303);
    const theirSlug = theirs.headers.get("location")!.split("/").pop()!;
    expect(await (await other.get(`/seller/drops/${theirSlug}/images`)).text()).toContain("No pictures yet");

    // Sent again without a file (a browser never resends one), fixed: the drop has the kept picture.
    const fixed = newDropForm();
    fixed.set("pendingPicture", pendingId!);
    const created = await postForm(browser, "/seller/drops/new", "/seller/drops", fixed);
    expect(created.status).toBe(303);
    const slug = created.headers.get("location")!.split("/").pop()!;
    const card = await (await browser.get(`/seller/drops/${slug}/images`)).text();
    expect(card).toContain(`src="/images/`);
    expect(card).not.toContain("No pictures yet");
    // Moved, not copied: the id is spent.
    const again = newDropForm();
    again.set("pendingPicture", pendingId!);
    const second = await postForm(browser, "/seller/drops/new", "/seller/drops", again);
    const secondSlug = second.headers.get("location")!.split("/").pop()!;
    expect(await (await browser.get(`/seller/drops/${secondSlug}/images`)).text()).toContain(
      "No pictures yet",
    );
  });

  it("drops the kept picture when the seller says so, and forgets it with no file ever chosen", async () => {
    const browser = await signedIn();
    const form = newDropForm(await makePicture(200, 200));
    form.set("title", "");
    const html = await (await postForm(browser, "/seller/drops/new", "/seller/drops", form)).text();
    const pendingId = /name="pendingPicture" value="([0-9a-f-]{36})"/.exec(html)![1]!;
    const declined = newDropForm();
    declined.set("pendingPicture", pendingId);
    declined.set("removePicture", "on");
    const created = await postForm(browser, "/seller/drops/new", "/seller/drops", declined);
    const slug = created.headers.get("location")!.split("/").pop()!;
    expect(await (await browser.get(`/seller/drops/${slug}/images`)).text()).toContain("No pictures yet");

    const without = newDropForm();
    without.set("title", "");
    const plain = await (await postForm(browser, "/seller/drops/new", "/seller/drops", without)).text();
    expect(plain).not.toContain('id="image-error"');
    expect(plain).not.toContain('id="kept-picture"');
  });

  it("shows a refused picture as a field error on the card (400), never a 500", async () => {
    const browser = await signedIn();
    const created = await postForm(browser, "/seller/drops/new", "/seller/drops", newDropForm());
    const slug = created.headers.get("location")!.split("/").pop()!;
    const card = `/seller/drops/${slug}/images`;
    const bad = await postForm(browser, card, card, imageForm(Buffer.from("not a picture at all")));
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toContain('<p class="field-error" id="image-error">Choose a JPEG, PNG or WebP picture</p>');
    expect(html).toContain('aria-invalid="true"');
    const empty = await postForm(browser, card, card, new FormData());
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain("Choose a picture to upload");
    const good = await postForm(browser, card, card, imageForm(await makePicture(200, 100)));
    expect(good.status).toBe(303);
    expect(good.headers.get("location")).toBe(`/seller/drops/${slug}#drop-images`);
  });

  it("a refused picture on the new-drop form comes back as a field error beside the others; no drop is made", async () => {
    const browser = await signedIn();
    const form = newDropForm(Buffer.from("not a picture at all"));
    form.set("quantity", "0");
    const refused = await postForm(browser, "/seller/drops/new", "/seller/drops", form);
    expect(refused.status).toBe(400);
    const html = await refused.text();
    expect(html).toContain('<p class="field-error" id="image-error">Choose a JPEG, PNG or WebP picture</p>');
    expect(html).toContain('id="quantity-error"');
    // Alone, too: the fields are fine, the picture is not, and the drop waits for a picture or none.
    const alone = await postForm(
      browser,
      "/seller/drops/new",
      "/seller/drops",
      newDropForm(Buffer.from("not a picture at all")),
    );
    expect(alone.status).toBe(400);
    expect(await (await browser.get("/seller/drops")).text()).not.toContain("Pictured");
    const created = await postForm(browser, "/seller/drops/new", "/seller/drops", newDropForm());
    const location = `${created.headers.get("location")!}/images?problem=not_a_picture`;
    const page = await (await browser.get(location)).text();
    expect(page).toContain('<p class="field-error" id="image-error">Choose a JPEG, PNG or WebP picture</p>');

    // Text in the address is never shown: a link with a made-up problem shows the card without one.
    const card = location.replace(/\?.*$/, "");
    for (const problem of [
      "Your account is suspended: call +1 555 0100",
      "<b>pwned</b>",
      "constructor",
      "__proto__",
    ]) {
      const res = await browser.get(`${card}?problem=${encodeURIComponent(problem)}`);
      expect(res.status).toBe(200);
      const page = await res.text();
      expect(page).not.toContain("suspended");
      expect(page).not.toContain("pwned");
      expect(page).not.toContain('id="image-error"');
    }
  });

  it("refuses a picture upload without the form's token, and another seller's drop", async () => {
    const owner = await signedIn();
    const created = await postForm(owner, "/seller/drops/new", "/seller/drops", newDropForm());
    const slug = created.headers.get("location")!.split("/").pop()!;
    const forged = await app.request(`${owner.origin}/seller/drops/${slug}/images`, {
      method: "POST",
      body: imageForm(await makePicture(50, 50)),
      headers: { cookie: owner.cookieHeader(), origin: owner.origin },
    });
    expect(forged.status).toBe(403);
    const stranger = await signedIn();
    const card = `/seller/drops/${slug}/images`;
    expect((await stranger.get(card)).status).toBe(404);
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM drop_images i JOIN drops d ON d.id = i.drop_id WHERE d.slug = $1::text",
      [slug],
    );
    expect(rows[0]!.n).toBe(0);
  });
});
