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
      /<p id="countdown" class="countdown" role="timer" data-starts-at="[^"]+" data-server-time="[^"]+"><span class="countdown-label">Starts in<\/span> <b class="countdown-clock">01:00:0[45]<\/b><\/p>/,
    );
    expect(html).toContain(`data-starts-at="${drop.startsAt.toISOString()}"`);
    expect(html).toContain(
      `<div class="stock" hx-ext="sse" sse-connect="/d/${drop.slug}/stream" sse-close="soldout"><p id="remaining" sse-swap="stock,soldout"><span class="stock-count" data-remaining="5" data-status="upcoming"><b>5</b> of 5 left</span></p><p id="announcer" class="visually-hidden" aria-live="polite" sse-swap="announce"></p></div>`,
    );
    expect(html).toContain(
      '<button id="buy-button" type="submit" class="big" disabled="" data-opens-at-live="">Opens at go-live</button>',
    );
    expect(html).toContain('<script src="/static/drop.js" defer=""></script>');
  });

  it("shows a live drop with an enabled buy form carrying a fresh idempotency key per view", async () => {
    const drop = await newDrop();
    const first = await page(drop.slug);
    expect(first.status).toBe(200);
    expect(first.html).toContain('<span class="countdown-label">Live now</span>');
    expect(first.html).toContain("<b>5</b> of 5 left");
    expect(first.html).toContain(
      `<form id="buy-form" class="buy card" method="post" action="/d/${drop.slug}/buy" hx-post="/d/${drop.slug}/buy" hx-target="this" hx-swap="outerHTML" hx-disabled-elt="find button">`,
    );
    expect(first.html).toContain('<button id="buy-button" type="submit" class="big">Buy now</button>');
    const key = /name="idempotencyKey" value="([0-9a-f-]{36})"/;
    const second = await page(drop.slug);
    expect(first.html.match(key)?.[1]).toBeDefined();
    expect(first.html.match(key)?.[1]).not.toBe(second.html.match(key)?.[1]);
  });

  it("shows a sold-out drop without a form, countdown or stream", async () => {
    const drop = await newDrop({ quantity: 1 });
    await app.shop.purchase(drop.id, { fan: "early@example.com" });
    const { status, html } = await page(drop.slug);
    expect(status).toBe(200);
    expect(html).toContain(
      '<div class="stock"><p id="remaining"><span class="stock-count" data-remaining="0" data-status="sold_out"><b>Sold out</b> · all 1 taken</span></p><p id="announcer" class="visually-hidden" aria-live="polite"></p></div>',
    );
    expect(html).toContain(
      '<div id="purchase-result" class="notice bad" role="status" tabindex="-1" data-outcome="sold_out"><p class="result-title">Sold out</p><p>The only unit is taken.</p></div>',
    );
    expect(html).not.toContain("buy-form");
    expect(html).not.toContain('id="countdown"');
    expect(html).not.toContain("sse-connect");
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
    // No font files or third-party origins: everything above is all the page asks for.
    expect(html).not.toMatch(/https?:\/\/|@font-face|\.woff/);
  });
});
