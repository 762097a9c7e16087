/**
 * The seller's side of verified fans and notify-me (issue 17 §1, §5): the "Verified fans only" box on the
 * new-drop and edit forms (fixed once live), and the dashboard's Fans card counting verified buyers and
 * notify-me signups.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { NEW_DROP_DEFAULTS } from "../views/seller/new-drop";
import { DAY_MS, localFromNow } from "./support/clock";
import { consoleWithSeller, type TestBrowser } from "./web-seller-browser";

describe("seller console: verified fans only, and the Fans card", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let ada: TestBrowser;

  const form: Record<string, string> = {
    ...(NEW_DROP_DEFAULTS as Record<string, string>),
    title: "Tour poster",
    description: "",
    price: "30",
    quantity: "10",
    startsAt: localFromNow(30 * DAY_MS),
  };
  const create = (fields: Record<string, string>) =>
    ada.submit("/seller/drops/new", "/seller/drops", { ...form, ...fields });
  const slugOf = (response: Response) => response.headers.get("location")!.replace("/seller/drops/", "");
  const verifiedOf = async (slug: string) => (await app.shop.currentDrop(slug)).verifiedFans;

  beforeAll(async () => {
    ({ db, app, ada } = await consoleWithSeller());
  });
  afterAll(() => db.close());

  test("the box makes a verified-fans drop; unticked, an open one; the edit form keeps and changes it", async () => {
    expect(await (await ada.get("/seller/drops/new")).text()).toContain('name="verifiedFans"');
    const verified = await create({ verifiedFans: "on" });
    expect(verified.status).toBe(303);
    const slug = slugOf(verified);
    expect(await verifiedOf(slug)).toBe(true);
    const open = await create({});
    expect(await verifiedOf(slugOf(open))).toBe(false);

    const editPage = await (await ada.get(`/seller/drops/${slug}/edit`)).text();
    expect(editPage).toContain('name="verifiedFans" value="on" checked=""');
    const { verifiedFans: _box, ...unticked } = form;
    const edited = await ada.submit(`/seller/drops/${slug}/edit`, `/seller/drops/${slug}/edit`, unticked);
    expect(edited.status).toBe(303);
    expect(await verifiedOf(slug)).toBe(false);
  });

  test("the dashboard counts verified buyers and notify-me signups", async () => {
    const created = await create({ verifiedFans: "on" });
    const slug = slugOf(created);
    const drop = await app.shop.currentDrop(slug);
    await db.query(
      `INSERT INTO notify_signups (drop_id, fan, email, confirmed_at) VALUES
         ($1::uuid, 'a@example.com', 'a@example.com', now()), ($1::uuid, 'b@example.com', 'b@example.com', NULL)`,
      [drop.id],
    );
    const page = await (await ada.get(`/seller/drops/${slug}`)).text();
    expect(page).toContain(" · verified fans only");
    expect(page).toContain('id="verified-buyers">0<');
    expect(page).toContain("2 signups, 1 confirmed");
  });

  test("once live the box is off the form and a changed flag is refused", async () => {
    const live = await create({ goLiveNow: "on" });
    const slug = slugOf(live);
    expect(await (await ada.get(`/seller/drops/${slug}/edit`)).text()).not.toContain('name="verifiedFans"');
    // A live form carries no box, so the flag cannot move through it; the API refuses it (409, see fans-verified).
    await ada.submit(`/seller/drops/${slug}/edit`, `/seller/drops/${slug}/edit`, {
      title: "Renamed",
      description: "",
      maxPerFan: "1",
      verifiedFans: "on",
    });
    expect(await verifiedOf(slug)).toBe(false);
  });
});
