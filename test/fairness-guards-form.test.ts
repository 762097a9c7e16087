import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { HOUR_MS, localFromNow } from "./support/clock";
import { consoleWithSeller, type TestBrowser } from "./web-seller-browser";

/**
 * The edit form keeps a draw drop's terms as the PATCH does (docs/draws.md "Editing a draw drop"): instant
 * orders, unverified fans or a go-live after the close come back as the form with the problem beside its
 * field (422), and nothing is written.
 */
describe("the edit form of a draw drop", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let ada: TestBrowser;

  const form = {
    title: "Draw print",
    description: "",
    price: "50",
    currency: "eur",
    quantity: "3",
    maxPerFan: "1",
    startsAt: localFromNow(HOUR_MS),
    timeZone: "UTC",
    goLiveNow: "",
    holdMode: "hold",
    holdMinutes: "15",
    verifiedFans: "on",
  };

  beforeAll(async () => {
    ({ db, app, ada } = await consoleWithSeller());
  });
  afterAll(() => db.close());

  test("instant orders, unverified fans and a go-live after the close are refused beside their fields", async () => {
    const created = await ada.submit("/seller/drops/new", "/seller/drops", {
      ...form,
      sale: "draw",
      entriesCloseAt: localFromNow(3 * HOUR_MS),
    });
    expect(created.status).toBe(303);
    const slug = created.headers.get("location")!.replace("/seller/drops/", "");
    const edit = `/seller/drops/${slug}/edit`;

    const { verifiedFans: _, ...unticked } = form;
    const broken = await ada.submit(edit, edit, { ...unticked, holdMode: "instant" });
    expect(broken.status).toBe(422);
    const page = await broken.text();
    expect(page).toContain('id="holdMode-error"');
    expect(page).toContain("A draw drop needs holdMinutes");
    expect(page).toContain('id="verifiedFans-error"');

    const late = await ada.submit(edit, edit, { ...form, startsAt: localFromNow(4 * HOUR_MS) });
    expect(late.status).toBe(422);
    expect(await late.text()).toContain('id="startsAt-error"');

    const drop = await app.shop.findDrop(slug);
    expect({ hold: drop.holdSeconds, verified: drop.verifiedFans }).toEqual({ hold: 900, verified: true });
    // A change that keeps the draw whole is saved.
    expect((await ada.submit(edit, edit, { ...form, title: "Draw print, signed" })).status).toBe(303);
  });
});
