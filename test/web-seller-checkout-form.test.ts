import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { NEW_DROP_DEFAULTS } from "../views/seller/new-drop";
import { DAY_MS, localFromNow } from "./support/clock";
import { consoleWithSeller, type TestBrowser } from "./web-seller-browser";

/**
 * Checkout on the seller's forms: "Instant orders" or "Checkout with a hold of M minutes" when creating
 * and editing a drop, validated by the API's rules with the reason shown beside the field (400, nothing
 * written). Once live the mode is fixed; a checkout drop's hold length may change, for new holds.
 */
describe("seller console: instant orders or checkout with a hold", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let ada: TestBrowser;

  /** A fresh new-drop form (its defaults: instant orders, a 10-minute hold offered), filled in. */
  const form: Record<string, string> = {
    ...(NEW_DROP_DEFAULTS as Record<string, string>),
    title: "Poster",
    description: "",
    price: "30",
    quantity: "10",
    startsAt: localFromNow(30 * DAY_MS),
  };

  const create = (fields: Record<string, string>) =>
    ada.submit("/seller/drops/new", "/seller/drops", { ...form, ...fields });
  const slugOf = (response: Response) => response.headers.get("location")!.replace("/seller/drops/", "");
  const holdOf = async (slug: string) => (await app.shop.dropWithStock(slug)).drop.holdSeconds;
  const drops = async () =>
    (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM drops")).rows[0]!.n;
  const edit = (slug: string, fields: Record<string, string>) =>
    ada.submit(`/seller/drops/${slug}/edit`, `/seller/drops/${slug}/edit`, fields);

  beforeAll(async () => {
    ({ db, app, ada } = await consoleWithSeller());
  });
  afterAll(() => db.close());

  test("the new-drop form offers both, instant chosen and a 10-minute hold ready", async () => {
    const page = await (await ada.get("/seller/drops/new")).text();
    expect(page).toContain('<input type="radio" name="holdMode" value="instant" checked=""/>');
    expect(page).toContain('<input type="radio" name="holdMode" value="hold"/>');
    expect(page).toMatch(/<input id="holdMinutes" name="holdMinutes" type="number" value="10"/);
  });

  test("creates a checkout drop with its hold, and an instant one (the minutes then ignored)", async () => {
    const held = await create({ holdMode: "hold", holdMinutes: "15" });
    expect(held.status).toBe(303);
    expect(await holdOf(slugOf(held))).toBe(900);
    const dashboard = await (await ada.get(held.headers.get("location")!)).text();
    expect(dashboard).toContain(" · checkout with a 15-minute hold");

    const instant = await create({ holdMode: "instant", holdMinutes: "not read" });
    expect(instant.status).toBe(303);
    expect(await holdOf(slugOf(instant))).toBe(0);

    // A form from before checkout existed (no choice at all) is instant, as the API's default is.
    const { holdMode: _mode, holdMinutes: _minutes, ...beforeCheckout } = form;
    const older = await ada.submit("/seller/drops/new", "/seller/drops", beforeCheckout);
    expect(older.status).toBe(303);
    expect(await holdOf(slugOf(older))).toBe(0);
  });

  test.each([
    ["0", "A hold must be at least 1 minute (or choose Instant orders)"],
    ["61", "A hold must be at most 60 minutes"],
    ["2.5", "The hold must be a whole number of minutes, 1 to 60"],
    ["-5", "The hold must be a whole number of minutes, 1 to 60"],
    ["", "Enter the hold in minutes, 1 to 60"],
  ])("a hold of %j is refused beside its field (400, nothing created): %s", async (holdMinutes, reason) => {
    const before = await drops();
    const response = await create({ holdMode: "hold", holdMinutes });
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain(`<p class="field-error" id="holdMinutes-error">${reason}</p>`);
    expect(page).toContain('aria-describedby="holdMinutes-hint holdMinutes-error"');
    // The seller's choice stays made on the form sent back.
    expect(page).toContain('<input type="radio" name="holdMode" value="hold" checked=""/>');
    expect(await drops()).toBe(before);
  });

  test("an unknown mode is refused with its reason, beside the other fields' problems", async () => {
    const response = await create({ holdMode: "sometimes", price: "" });
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain(
      '<p class="field-error" id="holdMode-error">Choose Instant orders or Checkout with a hold</p>',
    );
    expect(page).toContain('<p class="field-error" id="price-error">Price is required</p>');
  });

  test("before go-live the edit form switches the mode and the length, both ways", async () => {
    const slug = slugOf(await create({ holdMode: "instant" }));
    const page = await (await ada.get(`/seller/drops/${slug}/edit`)).text();
    expect(page).toContain('<input type="radio" name="holdMode" value="instant" checked=""/>');

    expect((await edit(slug, { ...form, holdMode: "hold", holdMinutes: "20" })).status).toBe(303);
    expect(await holdOf(slug)).toBe(1200);
    const checkout = await (await ada.get(`/seller/drops/${slug}/edit`)).text();
    expect(checkout).toContain('<input type="radio" name="holdMode" value="hold" checked=""/>');
    expect(checkout).toMatch(/<input id="holdMinutes" name="holdMinutes" type="number" value="20"/);

    const refused = await edit(slug, { ...form, holdMode: "hold", holdMinutes: "90" });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("A hold must be at most 60 minutes");
    expect(await holdOf(slug)).toBe(1200);

    expect((await edit(slug, { ...form, holdMode: "instant" })).status).toBe(303);
    expect(await holdOf(slug)).toBe(0);
  });

  test("once live a checkout drop's form offers its hold length only; the mode stays", async () => {
    const slug = slugOf(await create({ goLiveNow: "on", holdMode: "hold", holdMinutes: "10" }));
    const page = await (await ada.get(`/seller/drops/${slug}/edit`)).text();
    expect(page).toContain("its checkout with a hold are fixed");
    expect(page).not.toContain('name="holdMode"');
    expect(page).toMatch(/<input id="holdMinutes" name="holdMinutes" type="number" value="10"/);
    expect(page).toContain("holds already given keep their deadline");

    const live = { title: "Poster", description: "", maxPerFan: "1" };
    expect((await edit(slug, { ...live, holdMinutes: "30", holdMode: "instant" })).status).toBe(303);
    expect(await holdOf(slug)).toBe(1800);

    const zero = await edit(slug, { ...live, holdMinutes: "0" });
    expect(zero.status).toBe(400);
    expect(await zero.text()).toContain(
      '<p class="field-error" id="holdMinutes-error">A hold must be at least 1 minute (or choose Instant orders)</p>',
    );
    expect(await holdOf(slug)).toBe(1800);
  });

  test("once live an instant drop's form has no hold, and a hold sent anyway changes nothing", async () => {
    const slug = slugOf(await create({ goLiveNow: "on", holdMode: "instant" }));
    const page = await (await ada.get(`/seller/drops/${slug}/edit`)).text();
    expect(page).toContain("its instant orders are fixed");
    expect(page).not.toContain('name="holdMinutes"');
    const saved = await edit(slug, {
      title: "Poster",
      description: "",
      maxPerFan: "1",
      holdMode: "hold",
      holdMinutes: "5",
    });
    expect(saved.status).toBe(303);
    expect(await holdOf(slug)).toBe(0);
  });
});
