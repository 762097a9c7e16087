import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { DAY_MS, localFromNow, YEAR_MS } from "./support/clock";
import { consoleWithSeller, TestBrowser } from "./web-seller-browser";

/**
 * The lifecycle from the seller's pages (the SQL behind it runs on every backend in
 * seller-lifecycle-api.test.ts): edit, pause / resume, cancel, the CSV download and the sold-out summary.
 */
describe("seller console: the drop lifecycle as pages", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let ada: TestBrowser;

  const form = {
    title: "Scarf",
    description: "Wool.",
    price: "19,90",
    currency: "eur",
    quantity: "20",
    maxPerFan: "1",
    startsAt: localFromNow(30 * DAY_MS),
    timeZone: "UTC",
    goLiveNow: "",
  };

  async function newDrop(fields: Partial<typeof form> = {}): Promise<string> {
    const response = await ada.submit("/seller/drops/new", "/seller/drops", { ...form, ...fields });
    expect(response.status).toBe(303);
    return response.headers.get("location")!.replace("/seller/drops/", "");
  }

  beforeAll(async () => {
    ({ db, app, ada } = await consoleWithSeller());
  });
  afterAll(() => db.close());

  test("a go-live in the past is refused next to its field unless Go live now is ticked", async () => {
    const past = await ada.submit("/seller/drops/new", "/seller/drops", {
      ...form,
      startsAt: localFromNow(-YEAR_MS),
    });
    expect(past.status).toBe(400);
    expect(await past.text()).toContain(
      '<p class="field-error" id="startsAt-error">This time has already passed. Choose a later time, or tick Go live now.</p>',
    );
    const slug = await newDrop({ startsAt: localFromNow(-YEAR_MS), goLiveNow: "on" });
    expect((await app.shop.dropWithStock(slug)).status).toBe("live");
  });

  test("an upcoming drop is edited in full, its stock rebuilt", async () => {
    const slug = await newDrop();
    const page = await (await ada.get(`/seller/drops/${slug}/edit`)).text();
    expect(page).toContain('<input id="price" name="price" type="text" value="19.90"');
    const saved = await ada.submit(`/seller/drops/${slug}/edit`, `/seller/drops/${slug}/edit`, {
      ...form,
      title: "Scarf, long",
      price: "24.50",
      quantity: "35",
    });
    expect(saved.status).toBe(303);
    const { drop, remaining } = await app.shop.dropWithStock(slug);
    expect(drop).toMatchObject({ title: "Scarf, long", priceCents: 2450, quantity: 35 });
    expect(remaining).toBe(35);
  });

  test("once live the edit form offers only what may change, and says why", async () => {
    const slug = await newDrop({ goLiveNow: "on" });
    const page = await (await ada.get(`/seller/drops/${slug}/edit`)).text();
    expect(page).toContain('id="fixed-terms"');
    expect(page).not.toContain('name="price"');
    expect(page).not.toContain('name="quantity"');
    const saved = await ada.submit(`/seller/drops/${slug}/edit`, `/seller/drops/${slug}/edit`, {
      title: "Renamed live",
      description: "",
      maxPerFan: "2",
      price: "0.01",
    });
    expect(saved.status).toBe(303);
    expect((await app.shop.dropWithStock(slug)).drop).toMatchObject({
      title: "Renamed live",
      priceCents: 1990,
    });
  });

  test("pause and resume from the dashboard; the badge and the fan's answer follow", async () => {
    const slug = await newDrop({ goLiveNow: "on" });
    const dashboard = `/seller/drops/${slug}`;
    expect(await (await ada.get(dashboard)).text()).toContain('id="pause-form"');
    expect((await ada.submit(dashboard, `${dashboard}/pause`, {})).status).toBe(303);
    const paused = await (await ada.get(dashboard)).text();
    expect(paused).toContain('<span id="drop-status" class="badge paused">Paused</span>');
    expect(paused).toContain('id="resume-form"');
    await expect(app.shop.purchase(slug, { fan: "fan@x.io" })).rejects.toMatchObject({ code: "paused" });
    expect((await ada.submit(dashboard, `${dashboard}/resume`, {})).status).toBe(303);
    expect((await app.shop.purchase(slug, { fan: "fan@x.io" })).order.unitNo).toBeGreaterThan(0);
  });

  test("an upcoming drop is cancelled behind a confirmation; a live one offers no cancel", async () => {
    const slug = await newDrop();
    const dashboard = `/seller/drops/${slug}`;
    const page = await (await ada.get(dashboard)).text();
    expect(page).toContain(
      '<details class="danger-zone" id="cancel-drop"><summary>Cancel this drop…</summary>',
    );
    expect((await ada.submit(dashboard, `${dashboard}/cancel`, {})).status).toBe(303);
    const cancelled = await (await ada.get(dashboard)).text();
    expect(cancelled).toContain('<span id="drop-status" class="badge cancelled">Cancelled</span>');
    // A cancelled drop's page stops polling (the pictures card still loads itself once).
    expect(cancelled).not.toMatch(/hx-trigger="every/);

    const live = await newDrop({ goLiveNow: "on" });
    expect(await (await ada.get(`/seller/drops/${live}`)).text()).not.toContain('id="cancel-drop"');
    const refused = await ada.submit(`/seller/drops/${live}`, `/seller/drops/${live}/cancel`, {});
    expect(refused.status).toBe(409);
  });

  test("the orders download is a CSV for the owner only; sold out, the stats freeze into a summary", async () => {
    const slug = await newDrop({ goLiveNow: "on", quantity: "3" });
    for (const fan of ["a@x.io", "b@x.io", "c@x.io"]) await app.shop.purchase(slug, { fan });
    const csv = await ada.get(`/seller/drops/${slug}/orders.csv`);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(csv.headers.get("content-disposition")).toBe(`attachment; filename="orders-${slug}.csv"`);
    expect((await csv.text()).trimEnd().split("\r\n")).toHaveLength(4);
    expect((await new TestBrowser(app).get(`/seller/drops/${slug}/orders.csv`)).status).toBe(303);

    const page = await (await ada.get(`/seller/drops/${slug}`)).text();
    expect(page).toMatch(
      /<p class="sold-out-summary" id="sold-out-summary">Sold out in <b>[\d.]+ s<\/b>, peak <b>\d+ orders? a second<\/b>, €59.70 in revenue.<\/p>/,
    );
    expect(page).toContain('<span class="muted">Final numbers</span>');
    expect(page).toContain('<svg viewBox="0 0 600 140" role="img"');
  });
  test("the controls follow the database when the drop is paused, resumed or cancelled elsewhere (issue 15 §6)", async () => {
    const slug = await newDrop();
    const page = await (await ada.get(`/seller/drops/${slug}`)).text();
    expect(page).toContain('id="pause-form"');
    const poll = (html: string) =>
      /id="live-stats"[^>]*hx-get="([^"]+)"/.exec(html)?.[1]?.replaceAll("&amp;", "&");
    let url = poll(page)!;
    expect(url).toBe(`/seller/drops/${slug}/stats?shown=upcoming`);
    const tick = async () => {
      const html = await (await ada.get(url, { "hx-request": "true" })).text();
      url = poll(html) ?? url;
      return html;
    };
    // Nothing changed: the poll answers the stats alone, the controls stay as they are (an open
    // "Cancel this drop" disclosure is not closed every second).
    expect(await tick()).not.toContain('id="drop-controls"');

    // Another process (or tab) pauses the drop: the next poll brings the paused controls, once.
    const elsewhere = new TestBrowser(createApp({ db, logError: () => undefined }));
    expect((await elsewhere.signIn("ada@example.com", "correct horse battery")).status).toBe(303);
    const act = async (action: string) =>
      expect(
        (await elsewhere.submit(`/seller/drops/${slug}`, `/seller/drops/${slug}/${action}`, {})).status,
      ).toBe(303);
    await act("pause");
    const paused = await tick();
    expect(paused).toMatch(
      /<section class="card drop-controls"[^>]*data-status="paused"[^>]*hx-swap-oob="true"/,
    );
    expect(paused).toContain('id="resume-form"');
    expect(paused).not.toContain('id="pause-form"');
    expect(url).toBe(`/seller/drops/${slug}/stats?shown=paused`);
    expect(await tick()).not.toContain('id="drop-controls"');

    await act("resume");
    expect(await tick()).toContain('id="pause-form"');
    await act("cancel");
    const cancelled = await tick();
    expect(cancelled).toMatch(/data-status="cancelled"[^>]*hx-swap-oob="true"/);
    expect(cancelled).not.toContain('id="pause-form"');
    expect(cancelled).not.toContain('id="edit-link"');
  });
});
