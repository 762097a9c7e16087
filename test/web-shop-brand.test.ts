import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { contrastRatio } from "../src/domain/catalog/brand";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { imageForm, makePicture } from "./support/pictures";
import { TestBrowser } from "./web-seller-browser";

/**
 * A seller's own brand through the shop-settings form: colour, bio, links, logo and banner, then what fans
 * see on the drop page and the shop page (their brand first, ours one footer line) and in link previews.
 */
describe.each(ALL_BACKENDS)("the shop's own brand on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let ada: TestBrowser;
  let dropSlug = "";
  let shopPath = "";
  const it_ = isAvailable(backend) ? it : it.skip;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    app = createApp({ db, logError: () => undefined });
    ada = new TestBrowser(app);
    await ada.signUp({ name: "Night Owl", email: "owl@example.com", password: "correct horse battery" });
    dropSlug = await ada.createDrop({ title: "Moth Tee", quantity: "12" });
    const fan = await (await app.request(`/d/${dropSlug}`)).text();
    shopPath = /<a class="shop-home" href="(\/s\/[a-z0-9-]+)">/.exec(fan)?.[1] ?? "";
  });
  afterAll(async () => db?.close());

  const upload = async (slot: "logo" | "banner", bytes: Uint8Array) => {
    const form = imageForm(bytes);
    form.append("csrf", await ada.csrfFrom("/seller/shop"));
    return app.request(`http://localhost/seller/shop/${slot}`, {
      method: "POST",
      body: form,
      headers: { cookie: ada.cookieHeader(), origin: "http://localhost" },
    });
  };

  it_(
    "before any brand, the fan page leads with the shop's name and initials, Dropfront in the footer",
    async () => {
      expect(shopPath).toMatch(/^\/s\/night-owl/);
      const html = await (await app.request(`/d/${dropSlug}`)).text();
      expect(html).toContain('<span class="shop-home-name">Night Owl</span>');
      expect(html).toContain('<footer class="site-footer"><p>Sold on Dropfront Live</p></footer>');
      expect(html).not.toContain('class="brand"'); // our logo is gone from fan pages
      expect(html).not.toContain("/brand/");
    },
  );

  it_("saves colour, bio and links, and every field's problem comes back in one round", async () => {
    const bad = await ada.submit("/seller/shop", "/seller/shop", {
      accent: "#12345",
      bio: "x".repeat(281),
      link1Label: "Site",
      link1Url: "javascript:alert(1)",
      link2Label: "No address",
      link2Url: "",
    });
    expect(bad.status).toBe(400);
    const page = await bad.text();
    expect(page).toContain('id="accent-error">Pick a colour like #1a2b3c</p>');
    expect(page).toContain('id="bio-error">Keep the bio under 280 characters</p>');
    expect(page).toContain('id="link1Url-error">The address must start with https:// (or http://)</p>');
    expect(page).toContain('id="link2Url-error">Add the address this link goes to</p>');
    expect(page).toContain('value="javascript:alert(1)"'); // what was typed stays, escaped, to correct

    const good = await ada.submit("/seller/shop", "/seller/shop", {
      accent: "#FFD400",
      bio: "Records & <b>shirts</b> from the night shift.",
      link1Label: "Bandcamp",
      link1Url: "https://nightowl.example/music",
      link2Label: "",
      link2Url: "https://owl.example",
    });
    expect(good.status).toBe(303);
    expect(good.headers.get("location")).toBe("/seller/shop?saved=1");
  });

  it_("refuses the form without its token", async () => {
    const res = await ada.post("/seller/shop", { accent: "#000000", bio: "" });
    expect(res.status).toBe(403);
  });

  it_("gives the page the accent through a stylesheet whose colours keep AA contrast", async () => {
    // Past the storefront's few-second cache: read the shop page, which is never cached per process.
    const shop = await (await app.request(shopPath)).text();
    expect(shop).toContain('<link rel="stylesheet" href="/brand/ffd400.css"/>');
    const css = await (await app.request("/brand/ffd400.css")).text();
    const ink = /--accent-ink:(#[0-9a-f]{6})/.exec(css)![1]!;
    const text = /--accent-text:(#[0-9a-f]{6})/.exec(css)![1]!;
    expect(contrastRatio(ink, "#ffd400")).toBeGreaterThanOrEqual(4.5);
    expect(contrastRatio(text, "#ffffff")).toBeGreaterThanOrEqual(4.5);
    expect((await app.request("/brand/FFD400.css")).status).toBe(404);
    expect((await app.request("/brand/ffd4.css")).status).toBe(404);
  });

  it_("shows the bio as text and the links as given, never as HTML", async () => {
    const html = await (await app.request(shopPath)).text();
    expect(html).toContain(
      '<p class="shop-bio">Records &amp; &lt;b&gt;shirts&lt;/b&gt; from the night shift.</p>',
    );
    expect(html).toContain(
      '<a href="https://nightowl.example/music" rel="noopener nofollow ugc">Bandcamp</a>',
    );
    expect(html).toContain('<a href="https://owl.example" rel="noopener nofollow ugc">owl.example</a>');
    expect(html).toContain('<meta property="og:site_name" content="Night Owl"/>');
  });

  it_("takes a logo and a banner through the picture pipeline, and link previews carry them", async () => {
    expect((await upload("logo", await makePicture(600, 600))).status).toBe(303);
    expect((await upload("banner", await makePicture(1500, 500))).status).toBe(303);
    const refused = await upload("logo", new TextEncoder().encode("not a picture"));
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('id="logo-file-error">Choose a JPEG, PNG or WebP picture</p>');

    const shop = await (await app.request(shopPath)).text();
    const banner = /<img class="shop-banner" src="(\/images\/[^"]+)"/.exec(shop)?.[1];
    const logo = /<img class="shop-mark shop-mark-large" src="(\/images\/[^"]+)"/.exec(shop)?.[1];
    expect(banner).toMatch(/\/1500-[0-9a-f]{32}\.webp$/);
    expect(logo).toMatch(/\/256-[0-9a-f]{32}\.webp$/);
    expect(shop).toContain(`<meta property="og:image" content="http://localhost${banner}"/>`);
    const file = await app.request(logo!);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("image/webp");
  });

  it_("replacing or removing a picture removes the old files", async () => {
    const before = /<img class="shop-mark shop-mark-large" src="(\/images\/[^"]+)"/.exec(
      await (await app.request(shopPath)).text(),
    )![1]!;
    expect((await upload("logo", await makePicture(300, 300))).status).toBe(303);
    expect((await app.request(before)).status).toBe(404);
    const form = { csrf: await ada.csrfFrom("/seller/shop") };
    expect((await ada.post("/seller/shop/banner/delete", form)).status).toBe(303);
    const shop = await (await app.request(shopPath)).text();
    expect(shop).not.toContain('<img class="shop-banner"');
    expect(shop).toContain('<div class="shop-banner placeholder accented"></div>');
  });
});
