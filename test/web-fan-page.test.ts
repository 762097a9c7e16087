import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import type { Drop, Seller } from "../src/domain/types";
import { appWithSeller, hoodieDrop } from "./support/shop-fixtures";

let db: Database;
let app: ReturnType<typeof createApp>;
let seller: Seller;

beforeAll(async () => {
  ({ db, app, seller } = await appWithSeller("fanpage@example.com"));
});
afterAll(async () => db?.close());

const newDrop = (
  overrides: { quantity?: number; startsAt?: Date; description?: string } = {},
): Promise<Drop> =>
  app.shop.createDrop(
    seller,
    hoodieDrop({
      title: "Midnight <Hoodie>",
      description: "Heavy cotton & a hood.",
      maxPerFan: 2,
      ...overrides,
    }),
  );

const page = async (slug: string) => {
  const res = await app.request(`/d/${slug}`);
  return { status: res.status, html: await res.text(), res };
};

describe("fan drop page", () => {
  it("shows an upcoming drop: countdown on the database clock, counter stream, button waiting", async () => {
    const drop = await newDrop({ startsAt: new Date(Date.now() + 3_600_000 + 5_000) });
    const { status, html, res } = await page(drop.slug);
    expect(status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(html).toContain("<h1>Midnight &lt;Hoodie&gt;</h1>");
    expect(html).toContain('<p class="price">$49.00</p>');
    expect(html).toContain('<p class="description">Heavy cotton &amp; a hood.</p>');
    expect(html).toMatch(
      /<p id="countdown" class="countdown" role="timer" data-starts-at="[^"]+" data-server-time="[^"]+"><span class="countdown-label">Buying opens in<\/span> <b class="countdown-clock">01:00:0[45]<\/b><\/p>/,
    );
    expect(html).toContain(`data-starts-at="${drop.startsAt.toISOString()}"`);
    expect(html).toContain(
      `<div class="stock" hx-ext="sse" sse-connect="/d/${drop.slug}/stream" sse-close="soldout"><div id="drop-state" sse-swap="stock,soldout"><div class="state state-upcoming" data-remaining="5" data-status="upcoming"><p class="state-head"><span class="badge badge-upcoming">Upcoming</span></p><p class="stock-count"><b class="w-1">5</b> <span>units in this drop</span></p><progress class="meter" max="5" value="5" aria-hidden="true"></progress>`,
    );
    expect(html).toContain(
      '<button id="buy-button" type="submit" class="big" disabled="" data-opens-at-live="">Opens at go-live</button>',
    );
    // The shop is named and linked; the logo leads to the shop too, never to seller sign-up.
    expect(html).toContain('<p class="drop-shop"><a href="/s/ada">Ada</a></p>');
    expect(html).toContain('<a class="shop-home" href="/s/ada">'); // the shop leads the top bar, not Dropfront
    // No picture yet: the title's initials stand in, at the picture's place and size.
    expect(html).toContain(
      '<div class="product-image placeholder hue-4" role="img" aria-label="Midnight &lt;Hoodie&gt;"><span aria-hidden="true">MH</span></div>',
    );
    // A shared link previews with title, price and shop.
    expect(html).toContain('<meta property="og:title" content="Midnight &lt;Hoodie&gt; — $49.00"/>');
    expect(html).toContain('<meta name="twitter:card" content="summary"/>');
    expect(html).toContain('<script src="/static/drop.js" defer=""></script>');
  });

  it("shows a live drop with an enabled buy form carrying a fresh idempotency key per view", async () => {
    const drop = await newDrop();
    const first = await page(drop.slug);
    expect(first.status).toBe(200);
    expect(first.html).toContain('<span class="countdown-label">Live now</span>');
    expect(first.html).toContain('<b class="w-1">5</b> <span>of 5 left</span>');
    expect(first.html).toContain('<span class="badge badge-live">Live</span>');
    expect(first.html).toContain(
      `<form id="buy-form" class="buy card" method="post" action="/d/${drop.slug}/buy" hx-post="/d/${drop.slug}/buy" hx-target="this" hx-swap="outerHTML" hx-disabled-elt="find button">`,
    );
    expect(first.html).toContain('<button id="buy-button" type="submit" class="big">Buy now</button>');
    const key = /name="idempotencyKey" value="([0-9a-f-]{36})"/;
    const second = await page(drop.slug);
    expect(first.html.match(key)?.[1]).toBeDefined();
    expect(first.html.match(key)?.[1]).not.toBe(second.html.match(key)?.[1]);
  });

  it("shows a sold-out drop once, in its state, without a form, countdown or stream", async () => {
    const drop = await newDrop({ quantity: 1 });
    await app.shop.purchase(drop.id, { fan: "early@example.com" });
    const { status, html } = await page(drop.slug);
    expect(status).toBe(200);
    expect(html).toContain(
      '<div class="stock"><div id="drop-state"><div class="state state-sold_out" data-remaining="0" data-status="sold_out"><p class="state-head"><span class="badge badge-sold_out">Sold out</span></p><p class="stock-count">The only unit is taken.</p><progress class="meter" max="1" value="0" aria-hidden="true"></progress><p class="state-next">Every unit found its buyer. <a href="/s/ada">More drops from Ada</a></p></div></div>',
    );
    expect(html.match(/sold out|taken/gi)).toHaveLength(2); // the badge and the sentence, nothing else
    expect(html).not.toContain("buy-form");
    expect(html).not.toContain("purchase-result");
    expect(html).not.toContain('id="countdown"');
    expect(html).not.toContain("sse-connect");
  });

  it("says when stock runs low: over half gone, then the last few (ten at most, a quarter at most)", async () => {
    const drop = await newDrop({ quantity: 24 });
    const sell = async (n: number) => {
      for (let i = 0; i < n; i++) await app.shop.purchase(drop.id, { fan: `f${i}-${n}@example.com` });
    };
    expect((await page(drop.slug)).html).not.toContain("urgency");
    await sell(12);
    expect((await page(drop.slug)).html).toContain(
      '<span class="urgency urgency-half">Over half gone</span>',
    );
    await sell(3);
    expect((await page(drop.slug)).html).not.toContain("Last 9!"); // 9 of 24 is not the last few
    await sell(3);
    const { html } = await page(drop.slug);
    expect(html).toContain('<span class="urgency urgency-last">Last 6!</span>');
    expect(html).toContain('<b class="w-2">6</b>');
    expect(html).toContain('<progress class="meter" max="24" value="6" aria-hidden="true"></progress>');
  });

  it("answers an unknown or malformed slug with a 404 page", async () => {
    for (const slug of ["no-such-drop", "bad%20slug!", "x".repeat(101)]) {
      const { status, html } = await page(slug);
      expect(status).toBe(404);
      expect(html).toContain("<h1>Drop not found</h1>");
    }
    expect((await app.request("/d/no-such-drop/stream")).status).toBe(404);
    const post = await app.request("/d/no-such-drop/buy", {
      method: "POST",
      body: new URLSearchParams({ fan: "a" }),
    });
    expect(post.status).toBe(404);
  });

  it("loads in under 40 KB gzipped: HTML, stylesheet and every script it references", async () => {
    const drop = await newDrop({ description: "A description of a realistic length. ".repeat(10) });
    const { html } = await page(drop.slug);
    const assets = [...html.matchAll(/<(?:script src|link rel="stylesheet" href)="([^"]+)"/g)].map(
      (m) => m[1]!,
    );
    expect(assets).toEqual([
      "/static/app.css",
      "/static/fan.css",
      "/static/htmx.min.js",
      "/static/sse.min.js",
      "/static/drop.js",
    ]);
    const sizes: Record<string, number> = { html: gzipSync(html).length };
    for (const path of assets) {
      const res = await app.request(path);
      expect(res.status).toBe(200);
      sizes[path] = gzipSync(new Uint8Array(await res.arrayBuffer())).length;
    }
    const total = Object.values(sizes).reduce((a, b) => a + b, 0);
    expect(total, JSON.stringify(sizes)).toBeLessThan(40 * 1024);
    // No font files or third-party origins: everything above is all the page asks for. (Absolute URLs
    // appear only in the link-preview tags, and name this site.)
    const outside = html.replace(/<meta [^>]*content="http:\/\/localhost\/[^"]*"\/>/g, "");
    expect(outside).not.toMatch(/https?:\/\/|@font-face|\.woff/);
  });
});

describe("link previews behind a proxy", () => {
  it("use PUBLIC_URL's origin, not the address the request reached the app at", async () => {
    const { createApp } = await import("../src/app");
    const proxied = createApp({ db, logError: () => undefined, publicUrl: "https://drops.example.com" });
    const drop = await newDrop();
    const html = await (await proxied.request(`http://10.0.0.5:3000/d/${drop.slug}`)).text();
    expect(html).toContain(`<meta property="og:url" content="https://drops.example.com/d/${drop.slug}"/>`);
    expect(html).not.toContain("10.0.0.5");
  });
});
