import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { parseNewDrop } from "../src/web/seller/seller-forms";
import { fixedClock } from "./support/clock";
import { openTestDatabase } from "./support/databases";
import { TestBrowser } from "./web-seller-browser";

/**
 * The seller's side of variants (issue 18 §1): size rows on the new-drop form (with htmx a row is added in
 * place; without JS the form comes back with one more row), a drop created with its sizes, and the
 * dashboard's breakdown by size with units named by size in the audit trail.
 */
const clock = fixedClock("2029-12-01T18:00:00Z");
const form = {
  title: "Tour tee",
  description: "",
  price: "25.00",
  currency: "usd",
  quantity: "",
  maxPerFan: "2",
  startsAt: "2030-12-01T18:00",
  timeZone: "UTC",
};

describe("parseNewDrop with size rows", () => {
  test("filled rows become the drop's variants, its units their sum; blank rows are ignored", () => {
    const parsed = parseNewDrop(
      {
        ...form,
        variantName0: "S",
        variantQuantity0: "10",
        variantName1: " M ",
        variantQuantity1: "25",
        variantPrice1: "27,00",
        variantName2: "",
        variantQuantity2: "",
      },
      clock,
    );
    expect(parsed).toMatchObject({
      ok: true,
      value: {
        quantity: 35,
        variants: [
          { name: "S", quantity: 10 },
          { name: "M", quantity: 25, priceCents: 2700 },
        ],
      },
    });
  });

  test("a row half filled is named in its own error; two rows of one name are refused together", () => {
    const half = parseNewDrop({ ...form, variantName0: "S", variantQuantity0: "" }, clock);
    expect(half).toEqual({ ok: false, errors: { variant0: "Units of this size is required" } });
    const twice = parseNewDrop(
      { ...form, variantName0: "M", variantQuantity0: "1", variantName1: "m", variantQuantity1: "2" },
      clock,
    );
    expect(twice).toEqual({ ok: false, errors: { variants: "Variant names must differ" } });
  });

  test("without size rows the units field is needed as before", () => {
    expect(parseNewDrop(form, clock)).toMatchObject({ ok: false, errors: { quantity: expect.any(String) } });
    expect(parseNewDrop({ ...form, quantity: "5" }, clock)).toMatchObject({
      ok: true,
      value: { quantity: 5 },
    });
  });
});

describe("the seller's pages", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let ada: TestBrowser;
  const next = new Date().getUTCFullYear() + 1;

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    app = createApp({ db, logError: () => undefined });
    ada = new TestBrowser(app);
    await ada.signUp({ name: "Ada", email: "ada-sizes@example.com", password: "correct horse battery" });
  });
  afterAll(() => db?.close());

  test("the form offers three size rows; Add a size adds one, with htmx and without JS", async () => {
    const page = await (await ada.get("/seller/drops/new")).text();
    expect(page).toContain(
      '<fieldset class="variants" id="variants"><legend>Sizes or colours (optional)</legend>',
    );
    expect(page).toContain('id="variantName2"');
    expect(page).not.toContain('id="variantName3"');
    expect(page).toContain('hx-get="/seller/drops/variant-row?index=3"');

    const row = await (await ada.get("/seller/drops/variant-row?index=3", { "hx-request": "true" })).text();
    expect(row).toContain('id="variantName3"');
    expect(row).toContain('hx-get="/seller/drops/variant-row?index=4"');
    expect(row).toContain('hx-swap-oob="true"');

    const again = await ada.submit("/seller/drops/new", "/seller/drops", {
      ...form,
      startsAt: `${next}-06-01T18:00`,
      variantName0: "S",
      intent: "add-variant",
    });
    expect(again.status).toBe(200);
    const html = await again.text();
    expect(html).toContain('id="variantName3"');
    expect(html).toContain('value="S"');
    expect(await db.query("SELECT 1 FROM drops")).toMatchObject({ rows: [] });
  });

  test("a drop made with sizes sells them; its page breaks sales down by size and names each unit's size", async () => {
    const created = await ada.submit("/seller/drops/new", "/seller/drops", {
      ...form,
      startsAt: `${next}-06-01T18:00`,
      goLiveNow: "on",
      variantName0: "S",
      variantQuantity0: "2",
      variantName1: "M",
      variantQuantity1: "3",
    });
    expect(created.status).toBe(303);
    const slug = created.headers.get("location")!.replace("/seller/drops/", "");
    await app.shop.purchase(slug, { fan: "kim@example.com", variant: "M" });
    await app.shop.purchase(slug, { fan: "lee@example.com", variant: "S" });
    await app.shop.purchase(slug, { fan: "max@example.com", variant: "S" });
    const html = await (await ada.get(`/seller/drops/${slug}`)).text();
    expect(html).toContain('<h2 id="sizes-heading">By size</h2>');
    expect(html).toContain(
      '<tr class="size-row sold-out"><th scope="row" data-label="Size">S</th><td data-label="Units">2</td><td data-label="Taken">2</td><td data-label="Left">Sold out</td></tr>',
    );
    expect(html).toContain(
      '<tr class="size-row"><th scope="row" data-label="Size">M</th><td data-label="Units">3</td><td data-label="Taken">1</td><td data-label="Left">2</td></tr>',
    );
    expect(html).toContain('<td class="unit" data-label="Unit">M #1</td>');
    expect(html).toContain('<td class="unit" data-label="Unit">S #2</td>');
  });

  /** The drop's sizes as the database has them: [name, quantity, price] in order. */
  const sizesIn = async (slug: string) =>
    (
      await db.query<{ name: string; quantity: number; price_cents: number | null }>(
        `SELECT v.name, v.quantity, v.price_cents FROM drop_variants v JOIN drops d ON d.id = v.drop_id
         WHERE d.slug = $1::text ORDER BY v.position`,
        [slug],
      )
    ).rows.map((row) => [row.name, row.quantity, row.price_cents]);
  const dropRow = async (slug: string) =>
    (
      await db.query<{ quantity: number; collect_shipping: boolean | null }>(
        "SELECT quantity, collect_shipping FROM drops WHERE slug = $1::text",
        [slug],
      )
    ).rows[0]!;

  test("before go-live the edit form shows the sizes and saves a new list and the shipping box", async () => {
    const created = await ada.submit("/seller/drops/new", "/seller/drops", {
      ...form,
      startsAt: `${next}-06-01T18:00`,
      variantName0: "S",
      variantQuantity0: "2",
      variantName1: "M",
      variantQuantity1: "3",
    });
    const slug = created.headers.get("location")!.replace("/seller/drops/", "");
    const edit = `/seller/drops/${slug}/edit`;
    const page = await (await ada.get(edit)).text();
    expect(page).toContain('id="variantName1" name="variantName1" type="text" value="M"');
    expect(page).toContain('id="collectShipping"');

    // Without JS, "Add a size" brings the form back with one more row and saves nothing.
    const more = await ada.submit(edit, edit, {
      ...form,
      startsAt: `${next}-06-01T18:00`,
      intent: "add-variant",
      variantName0: "S",
      variantQuantity0: "2",
      variantName1: "M",
      variantQuantity1: "3",
    });
    expect(more.status).toBe(200);
    expect(await more.text()).toContain('id="variantName3"');

    const saved = await ada.submit(edit, edit, {
      ...form,
      startsAt: `${next}-06-01T18:00`,
      collectShipping: "on",
      variantName0: "L",
      variantQuantity0: "4",
      variantPrice0: "30.00",
      variantName1: "Small",
      variantQuantity1: "1",
    });
    expect(saved.status).toBe(303);
    expect(await sizesIn(slug)).toEqual([
      ["L", 4, 3000],
      ["Small", 1, null],
    ]);
    expect(await dropRow(slug)).toEqual({ quantity: 5, collect_shipping: true });

    // Every row cleared: one kind of unit again, of the units field's number.
    const one = await ada.submit(edit, edit, { ...form, startsAt: `${next}-06-01T18:00`, quantity: "7" });
    expect(one.status).toBe(303);
    expect(await sizesIn(slug)).toEqual([]);
    expect(await dropRow(slug)).toEqual({ quantity: 7, collect_shipping: false });
  });

  test("once live the form lowers a size to what it sold, refuses lower, and removes a size without orders", async () => {
    const created = await ada.submit("/seller/drops/new", "/seller/drops", {
      ...form,
      startsAt: `${next}-06-01T18:00`,
      goLiveNow: "on",
      variantName0: "S",
      variantQuantity0: "2",
      variantName1: "M",
      variantQuantity1: "5",
    });
    const slug = created.headers.get("location")!.replace("/seller/drops/", "");
    await app.shop.purchase(slug, { fan: "kim@example.com", variant: "M" });
    await app.shop.purchase(slug, { fan: "lee@example.com", variant: "M" });
    const edit = `/seller/drops/${slug}/edit`;
    const page = await (await ada.get(edit)).text();
    expect(page).toContain("a size&#39;s units can be lowered to what it has sold");
    expect(page).not.toContain('id="add-variant"');
    const live = { title: "Tour tee", description: "", maxPerFan: "2" };

    const below = await ada.submit(edit, edit, {
      ...live,
      variantName0: "S",
      variantQuantity0: "2",
      variantName1: "M",
      variantQuantity1: "1",
    });
    expect(below.status).toBe(400);
    expect(await below.text()).toContain(
      "The size &quot;M&quot; has 2 units sold or held: its quantity cannot go below 2.",
    );

    const saved = await ada.submit(edit, edit, {
      ...live,
      variantName0: "",
      variantQuantity0: "",
      variantName1: "Medium",
      variantQuantity1: "2",
    });
    expect(saved.status).toBe(303);
    expect(await sizesIn(slug)).toEqual([["Medium", 2, null]]);
    expect((await dropRow(slug)).quantity).toBe(2);
  });
});
