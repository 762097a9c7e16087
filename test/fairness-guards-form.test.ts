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

  test("the draw card gives the named public value once the list is frozen, then sells the leftovers", async () => {
    const created = await ada.submit("/seller/drops/new", "/seller/drops", {
      ...form,
      sale: "draw",
      entriesCloseAt: localFromNow(3 * HOUR_MS),
      drawPublicValue: "the lottery of the next day",
    });
    expect(created.status).toBe(303);
    const slug = created.headers.get("location")!.replace("/seller/drops/", "");
    const drop = await app.shop.findDrop(slug);
    const dashboard = `/seller/drops/${slug}`;
    // Live, one fan enters (three units), then the entries close.
    await db.query("UPDATE drops SET starts_at = now() - interval '1 hour' WHERE id = $1::uuid", [drop.id]);
    const { entry } = await app.shop.fairness.enter(drop.id, "cy@fans.test");
    const closeAgo = (seconds: number) =>
      db.query(
        "UPDATE draws SET entries_close_at = now() - $2::int * interval '1 second' WHERE drop_id = $1::uuid",
        [drop.id, seconds],
      );

    // Within the grace after the close the list is not frozen: no form yet.
    await closeAgo(1);
    const early = await (await ada.get(dashboard)).text();
    expect(early).toContain("publish it once the entry list is frozen");
    expect(early).not.toContain('id="public-value-form"');

    await closeAgo(60);
    const due = await (await ada.get(dashboard)).text();
    expect(due).toContain('id="public-value-form"');
    expect(due).toContain("The public value you named: the lottery of the next day");
    const published = await ada.submit(dashboard, `${dashboard}/draw/public-value`, {
      value: " 4 8 15 16 23 ",
    });
    expect(published.status).toBe(303);
    const record = (await (await app.request(`/api/drops/${drop.id}/draw`)).json()) as Record<
      string,
      unknown
    >;
    expect(record).toMatchObject({ status: "closed", publicValue: "4 8 15 16 23", entries: [entry.id] });
    expect(await (await ada.get(dashboard)).text()).not.toContain('id="public-value-form"');

    // The draw runs; its one entry holds a unit; nobody waits, two units are left: the seller opens them.
    expect((await app.shop.fairness.tick()).drawn).toBe(1);
    const verified = { email: "late@fans.test" };
    await expect(app.shop.purchase(drop.id, { fan: verified.email, verified })).rejects.toMatchObject({
      code: "draw_only",
    });
    const drawn = await (await ada.get(dashboard)).text();
    // The card's figures: one entry, offered a unit, held now; none waiting, paid or lapsed; and when it drew.
    for (const [id, n] of [
      ["entries", 1],
      ["waiting", 0],
      ["offered", 1],
      ["paid", 0],
      ["lapsed", 0],
      ["held", 1],
    ] as const)
      expect(drawn).toContain(`<b id="queue-${id}">${n}</b>`);
    expect(drawn).toMatch(/drawn <time datetime="[^"]+"/);
    expect(drawn).toContain(`href="/api/drops/${drop.id}/draw"`);
    expect(drawn).toContain('id="open-leftovers-form"');
    expect(drawn).toContain("2 unit(s) stay unsold");
    const opened = await ada.submit(dashboard, `${dashboard}/draw/open-leftovers`, {});
    expect(opened.status).toBe(303);
    const after = await (await ada.get(dashboard)).text();
    expect(after).not.toContain('id="open-leftovers-form"');
    expect(after).toContain("leftovers on sale first-come");
    const bought = await app.shop.purchase(drop.id, { fan: verified.email, verified });
    expect(bought.order.unitNo).toBeGreaterThan(0);
  });
});
