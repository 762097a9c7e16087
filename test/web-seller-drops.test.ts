import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import type { Drop } from "../src/domain/types";
import { DAY_MS, fromNow, localFromNow, YEAR_MS } from "./support/clock";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { TestBrowser } from "./web-seller-browser";

/** Go-live times in the form must lie ahead: next year's, so the tests keep passing as time goes by. */
const NEXT_YEAR = new Date().getUTCFullYear() + 1;

// Every query behind these pages runs on each backend: PGlite, and PostgreSQL at both isolation levels.
describe.each(ALL_BACKENDS)("on %s", (backend) => {
  describe.skipIf(!isAvailable(backend))("seller drop pages", () => {
    let db: Database;
    let app: ReturnType<typeof createApp>;
    let ada: TestBrowser;
    let bo: TestBrowser;

    const form = {
      title: "Winter Sneaker",
      description: "Only 5 pairs.",
      price: "25.00",
      currency: "eur",
      quantity: "5",
      maxPerFan: "2",
      startsAt: `${NEXT_YEAR}-01-15T18:00`,
      timeZone: "Europe/Berlin",
      goLiveNow: "",
    };

    async function createDrop(browser: TestBrowser, fields: Partial<typeof form> = {}): Promise<Response> {
      return browser.submit("/seller/drops/new", "/seller/drops", { ...form, ...fields });
    }

    async function slugOf(response: Response): Promise<string> {
      expect(response.status).toBe(303);
      return response.headers.get("location")!.replace("/seller/drops/", "");
    }

    async function buy(slug: string, count: number, from = 0): Promise<void> {
      for (let i = from; i < from + count; i++) {
        await app.shop.purchase(slug, { fan: `fan${i}@example.com`, idempotencyKey: `key-${slug}-${i}` });
      }
    }

    const fragment = { "hx-request": "true" };

    beforeAll(async () => {
      db = await openTestDatabase(backend);
      app = createApp({ db, logError: () => undefined });
      ada = new TestBrowser(app);
      bo = new TestBrowser(app);
      await ada.signUp({ name: "Ada", email: "ada@example.com", password: "correct horse battery" });
      await bo.signUp({ name: "Bo", email: "bo@example.com", password: "correct horse battery" });
    });

    afterAll(() => db.close());

    describe("create a drop", () => {
      test("the form offers the time zone next to the go-live time, UTC until the browser says otherwise", async () => {
        const html = await (await ada.get("/seller/drops/new")).text();
        expect(html).toContain('<label for="startsAt">Date and time</label>');
        expect(html).toContain('<select id="timeZone" name="timeZone" data-detect-zone="true">');
        expect(html).toContain('<option value="UTC" selected="">UTC</option>');
        expect(html).toContain('<optgroup label="Europe">'); // ~400 zones grouped by region
        expect(html).toContain('<option value="Europe/Berlin">Berlin</option>');
        expect(html).toContain('<script src="/static/dashboard.js" defer=""></script>');
      });

      test("reads the go-live time in the seller's zone and the price as a decimal", async () => {
        const slug = await slugOf(await createDrop(ada));
        expect(slug).toMatch(/^winter-sneaker-[a-z0-9]{6}$/);
        const drop = await app.shop.findDrop(slug);
        expect(drop).toMatchObject({
          title: "Winter Sneaker",
          description: "Only 5 pairs.",
          priceCents: 2500,
          currency: "EUR",
          quantity: 5,
          maxPerFan: 2,
          isRehearsal: false,
        });
        // 18:00 in Berlin in January (UTC+1) is 17:00 UTC.
        expect(drop.startsAt.toISOString()).toBe(`${NEXT_YEAR}-01-15T17:00:00.000Z`);
      });

      test("summer time in the chosen zone is honoured too", async () => {
        const slug = await slugOf(
          await createDrop(ada, { startsAt: `${NEXT_YEAR}-07-01T09:30`, timeZone: "America/New_York" }),
        );
        expect((await app.shop.findDrop(slug)).startsAt.toISOString()).toBe(
          `${NEXT_YEAR}-07-01T13:30:00.000Z`,
        );
      });

      test("errors appear next to their fields, with the input kept and nothing created", async () => {
        const before = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM drops")).rows[0]!.n;
        const response = await createDrop(ada, {
          title: "  ",
          price: "12.345",
          quantity: "0",
          maxPerFan: "lots",
          startsAt: `${NEXT_YEAR}-02-30T10:00`,
          timeZone: "Mars/Olympus",
          description: "Kept <b>as text</b>",
        });
        expect(response.status).toBe(400);
        const html = await response.text();
        expect(html).toContain(
          '<div class="notice bad" role="alert" id="form-problem">Please fix the 5 fields marked below.</div>',
        );
        expect(html).toContain('<p class="field-error" id="title-error">Title is required</p>');
        expect(html).toContain(
          '<p class="field-error" id="price-error">Price must be an amount like 25.00 (or 25,00)</p>',
        );
        expect(html).toContain(
          '<p class="field-error" id="quantity-error">Units for sale must be at least 1</p>',
        );
        expect(html).toContain(
          '<p class="field-error" id="maxPerFan-error">Limit per fan must be a whole number</p>',
        );
        expect(html).toContain(
          '<p class="field-error" id="timeZone-error">Choose a time zone from the list</p>',
        );
        expect(html).toContain(
          '<input id="price" name="price" type="text" value="12.345" required="" inputmode="decimal" placeholder="25.00" aria-invalid="true" aria-describedby="price-hint price-error"/>',
        );
        expect(html).toContain("Kept &lt;b&gt;as text&lt;/b&gt;</textarea>");
        expect(html).not.toContain("data-detect-zone"); // the seller's choice is not overridden
        expect((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM drops")).rows[0]!.n).toBe(
          before,
        );
      });

      test("a date that does not exist is refused once the other fields are right", async () => {
        const response = await createDrop(ada, { startsAt: `${NEXT_YEAR}-02-30T10:00` });
        expect(response.status).toBe(400);
        expect(await response.text()).toContain(
          '<p class="field-error" id="startsAt-error">Choose a go-live date and time</p>',
        );
      });

      test("the JSON API's own limits apply, named by the form's fields", async () => {
        const response = await createDrop(ada, { startsAt: localFromNow(11 * YEAR_MS) });
        expect(response.status).toBe(400);
        expect(await response.text()).toContain(
          '<p class="field-error" id="startsAt-error">StartsAt must be within ten years</p>',
        );
        const price = await createDrop(ada, { price: "1000000.01" });
        expect(await price.text()).toContain(
          '<p class="field-error" id="price-error">Price must be at most 1,000,000.00</p>',
        );
      });
    });

    describe("drops list", () => {
      test("lists the seller's own drops with sales, leaving out rehearsals and others' drops", async () => {
        const browser = new TestBrowser(app);
        await browser.signUp({ name: "Cy", email: "cy@example.com", password: "correct horse battery" });
        const slug = await slugOf(
          await createDrop(browser, {
            title: "Poster",
            price: "10",
            currency: "usd",
            goLiveNow: "on",
          }),
        );
        await buy(slug, 2);
        const cy = (await app.shop.findDrop(slug)).sellerId;
        const seller = { id: cy, email: "cy@example.com", name: "Cy", createdAt: new Date() };
        const rehearsal = await app.shop.createDrop(
          seller,
          {
            ...(await app.shop.findDrop(slug)),
            title: "Poster rehearsal",
            startsAt: fromNow(-YEAR_MS),
          },
          { rehearsalOf: (await app.shop.findDrop(slug)).id },
        );
        await buy(rehearsal.slug, 3, 100);

        const html = await (await browser.get("/seller/drops")).text();
        expect(html).toContain(
          `<tr id="drop-${slug}"><td class="drop-title"><a href="/seller/drops/${slug}">Poster</a></td>`,
        );
        expect(html).toContain(
          '<span class="badge live">Live</span></td><td data-label="Sold" class="num">2 of 5 (40%)</td><td data-label="Revenue" class="num">$20.00</td>',
        );
        expect(html).not.toContain("Poster rehearsal");
        expect(html).not.toContain("Winter Sneaker");
        expect(html).toContain('<p id="total-revenue" class="muted">Revenue: <b>$20.00</b> across all drops');
      });
    });

    describe("dashboard", () => {
      let slug: string;
      let drop: Drop;

      beforeAll(async () => {
        slug = await slugOf(
          await createDrop(ada, {
            title: "Live Tee",
            price: "30",
            currency: "usd",
            goLiveNow: "on",
            timeZone: "UTC",
          }),
        );
        drop = await app.shop.findDrop(slug);
        await buy(slug, 2);
      });

      test("shows the owner revenue, units, sell-through, pace, go-live clock, share link and audit trail", async () => {
        const response = await ada.get(`/seller/drops/${slug}`);
        expect(response.status).toBe(200);
        const html = await response.text();
        expect(html).toContain('<b id="revenue">$60.00</b>');
        expect(html).toContain('<b id="units-sold">2 of 5</b>');
        expect(html).toContain('<b id="sell-through">40%</b>');
        expect(html).toContain('<b id="orders-per-second">0.2</b>');
        expect(html).toMatch(/<b id="go-live-clock">\d+s<\/b><span>Since go-live<\/span>/);
        expect(html).toContain(
          `<input id="public-url" type="text" readonly="" value="http://localhost/d/${slug}" class="mono"/>`,
        );
        expect(html).toContain(
          '<button type="button" id="copy-link" class="secondary" data-copy-from="public-url" hidden="">',
        );
        expect(html).toContain(
          `<section id="live-stats" aria-label="Sales" hx-get="/seller/drops/${slug}/stats?shown=live" hx-trigger="every 1s"`,
        );
        const units = [
          ...html.matchAll(
            /<td class="unit" data-label="Unit">#(\d+)<\/td><td data-label="Order"><a href="\/seller\/orders\/[0-9a-f-]{36}"><code>[0-9a-f-]{36}<\/code><\/a><\/td><td data-label="Fan" class="fan">(fan\d)@example.com/g,
          ),
        ];
        expect(units.map((m) => `${m[1]}:${m[2]}`)).toEqual(["2:fan1", "1:fan0"]);
      });

      test("another seller gets 404 and a signed-out visitor is sent to sign in", async () => {
        const other = await bo.get(`/seller/drops/${slug}`);
        expect(other.status).toBe(404);
        expect(await other.text()).toContain('<p id="error-message">No such drop.</p>');
        expect((await bo.get(`/seller/drops/${drop.id}/stats`, fragment)).status).toBe(404);
        expect((await bo.get(`/seller/drops/${slug}/orders/new`, fragment)).status).toBe(404);

        const anonymous = await new TestBrowser(app).get(`/seller/drops/${slug}`);
        expect(anonymous.status).toBe(303);
        expect(anonymous.headers.get("location")).toBe(`/seller/sign-in?next=%2Fseller%2Fdrops%2F${slug}`);
      });

      test("htmx gets the stats fragment alone; without htmx the same address is the whole page", async () => {
        const html = await (await ada.get(`/seller/drops/${slug}/stats?shown=live`, fragment)).text();
        expect(html).toMatch(
          new RegExp(
            `^<section id="live-stats" aria-label="Sales" hx-get="/seller/drops/${slug}/stats\\?shown=live" hx-trigger="every 1s" hx-swap="outerHTML"`,
          ),
        );
        expect(html).toContain('<b id="units-sold">2 of 5</b>');
        expect(html).toMatch(/<\/section>$/);
        expect(html).not.toContain('id="drop-controls"');
        // A page showing another status gets the drop's controls too, to replace its own (out of band).
        const stale = await (await ada.get(`/seller/drops/${slug}/stats?shown=paused`, fragment)).text();
        expect(stale).toMatch(
          /<section class="card drop-controls"[^>]*data-status="live" hx-swap-oob="true">/,
        );
        const page = await (await ada.get(`/seller/drops/${slug}/stats`)).text();
        expect(page).toMatch(/^<!DOCTYPE html>/);
        expect(page).toContain('<b id="units-sold">2 of 5</b>');
      });

      test("new orders arrive newest first under a poller that remembers the newest one", async () => {
        const page = await (await ada.get(`/seller/drops/${slug}`)).text();
        const since =
          /<tr id="audit-poller" hidden="" hx-get="\/seller\/drops\/[^?]+\/orders\/new\?since=([0-9a-f-]{36})&amp;seen=2"/.exec(
            page,
          )![1]!;

        const poll = `/seller/drops/${slug}/orders/new?since=${since}&seen=2`;
        const none = await (await ada.get(poll, fragment)).text();
        expect(none).toBe(
          `<tr id="audit-poller" hidden="" hx-get="/seller/drops/${slug}/orders/new?since=${since}&amp;seen=2" hx-trigger="every 1s" hx-swap="outerHTML"><td colspan="5"></td></tr>`,
        );

        await buy(slug, 2, 2); // five units sit in one stock row, so they sell in unit order
        const rows = await (await ada.get(poll, fragment)).text();
        const newest = /^<tr id="audit-poller" hidden="" hx-get="[^"]+since=([0-9a-f-]{36})&amp;seen=4"/.exec(
          rows,
        )![1]!;
        expect(rows).toContain(
          `<tr id="order-${newest}" class="order-row"><td class="unit" data-label="Unit">#4</td>`,
        );
        expect(
          [...rows.matchAll(/<td class="unit" data-label="Unit">#(\d+)<\/td>/g)].map((m) => m[1]),
        ).toEqual(["4", "3"]);
        expect(rows).not.toContain("audit-late");
      });

      test("an order that commits behind the cursor is reported, not silently missed", async () => {
        const lateSlug = await slugOf(
          await createDrop(ada, { title: "Late", quantity: "5", goLiveNow: "on" }),
        );
        await buy(lateSlug, 1);
        const page = await (await ada.get(`/seller/drops/${lateSlug}`)).text();
        const since = /orders\/new\?since=([0-9a-f-]{36})&amp;seen=1"/.exec(page)![1]!;

        // A purchase whose statement started before the shown order but committed after it was read.
        await buy(lateSlug, 1, 1);
        await db.query(
          `UPDATE orders SET created_at = (SELECT created_at FROM orders WHERE id = $1::uuid) - interval '1 millisecond'
           WHERE drop_id = (SELECT drop_id FROM orders WHERE id = $1::uuid) AND id <> $1::uuid`,
          [since],
        );
        const poll = await (
          await ada.get(`/seller/drops/${lateSlug}/orders/new?since=${since}&seen=1`, fragment)
        ).text();
        expect(poll).toContain(`/orders/new?since=${since}&amp;seen=2"`);
        expect(poll).toContain(
          `<tr class="audit-late"><td colspan="5">1 order committed a moment late and belongs further down. <a href="/seller/drops/${lateSlug}#audit-trail">Reload the trail</a> to see it in place.</td></tr>`,
        );
        const next = await (
          await ada.get(`/seller/drops/${lateSlug}/orders/new?since=${since}&seen=2`, fragment)
        ).text();
        expect(next).not.toContain("audit-late");
      });

      test("once sold out, polling stops in both the stats and the audit trail", async () => {
        const tiny = await slugOf(
          await createDrop(ada, { title: "Two only", quantity: "2", goLiveNow: "on" }),
        );
        await buy(tiny, 1);
        const page = await (await ada.get(`/seller/drops/${tiny}`)).text();
        const since = /orders\/new\?since=([0-9a-f-]{36})&amp;seen=1"/.exec(page)![1]!;
        await buy(tiny, 1, 1);

        const last = await (
          await ada.get(`/seller/drops/${tiny}/orders/new?since=${since}&seen=1`, fragment)
        ).text();
        expect(last).not.toContain("audit-poller");
        expect(
          [...last.matchAll(/<td class="unit" data-label="Unit">#(\d+)<\/td>/g)].map((m) => m[1]),
        ).toEqual(["2"]);

        const stats = await (await ada.get(`/seller/drops/${tiny}/stats`, fragment)).text();
        expect(stats).toContain('<span id="drop-status" class="badge sold_out">Sold out</span>');
        expect(stats).toContain('<b id="sell-through">100%</b>');
        expect(stats).not.toContain("hx-trigger");
        expect(await (await ada.get(`/seller/drops/${tiny}`)).text()).not.toContain("audit-poller");
      });

      test("an upcoming drop counts down to go-live", async () => {
        const later = await slugOf(
          await createDrop(ada, { title: "Later", startsAt: localFromNow(40 * DAY_MS), timeZone: "UTC" }),
        );
        const html = await (await ada.get(`/seller/drops/${later}/stats`, fragment)).text();
        expect(html).toContain('<span id="drop-status" class="badge upcoming">Upcoming</span>');
        expect(html).toMatch(/<b id="go-live-clock">\d+d \d\dh \d\dm<\/b><span>Until go-live<\/span>/);
        expect(html).toContain('<b id="revenue">€0.00</b>');
      });

      test("the audit trail pages by keyset cursor, as a page without JS and as rows with htmx", async () => {
        const big = await slugOf(
          await createDrop(ada, {
            title: "Big",
            quantity: "60",
            maxPerFan: "1",
            goLiveNow: "on",
          }),
        );
        await buy(big, 55);
        const first = await (await ada.get(`/seller/drops/${big}`)).text();
        // Units come from stock spread over several rows, so the order of sale is checked by fan.
        const fans = (html: string) =>
          [...html.matchAll(/<td data-label="Fan" class="fan">fan(\d+)@example.com<\/td>/g)].map((m) =>
            Number(m[1]),
          );
        // Newest first by (created_at, id): two sales within one tick of the database's clock (PGlite's
        // now() has millisecond steps) may stand either way round, so the pages are checked as a partition.
        expect(fans(first)).toHaveLength(50);
        expect(Math.min(...fans(first))).toBeGreaterThanOrEqual(3);
        const cursor =
          /<tr id="audit-more"><td colspan="5"><a href="\/seller\/drops\/[^?]+\?cursor=([0-9a-f-]{36})#audit-trail"/.exec(
            first,
          )![1]!;

        const older = await (await ada.get(`/seller/drops/${big}?cursor=${cursor}`)).text();
        expect(fans(older)).toHaveLength(5);
        expect([...fans(first), ...fans(older)].sort((a, b) => a - b)).toEqual(
          Array.from({ length: 55 }, (_, i) => i),
        );
        expect(older).not.toContain("audit-poller");
        expect(older).not.toContain('id="audit-more"');
        expect(older).toContain(`<a href="/seller/drops/${big}#audit-trail">Back to the newest orders</a>`);

        const rows = await (await ada.get(`/seller/drops/${big}/orders?cursor=${cursor}`, fragment)).text();
        expect(rows).toMatch(
          /^<tr id="order-[0-9a-f-]{36}" class="order-row"><td class="unit" data-label="Unit">#\d+<\/td>/,
        );
        expect(fans(rows)).toEqual(fans(older));
      });

      test("a malformed cursor is a 400 page and an unknown drop a 404 page", async () => {
        const bad = await ada.get(`/seller/drops/${slug}?cursor=not-a-uuid`);
        expect(bad.status).toBe(400);
        expect(await bad.text()).toContain('<p id="error-message">The cursor is not an order id</p>');
        const missing = await ada.get("/seller/drops/no-such-drop-000000");
        expect(missing.status).toBe(404);
        expect(await missing.text()).toContain("<h1>Not found</h1>");
        expect((await ada.get("/seller/drops/bad%20ref!")).status).toBe(404);
      });

      test("the dashboard never lets a cache keep live numbers", async () => {
        expect((await ada.get(`/seller/drops/${slug}`)).headers.get("cache-control")).toBe("no-store");
        expect((await ada.get(`/seller/drops/${slug}/stats`, fragment)).headers.get("cache-control")).toBe(
          "no-store",
        );
      });
    });
  });
});
