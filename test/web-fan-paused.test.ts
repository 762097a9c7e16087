import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { openTestDatabase } from "./support/databases";
import { createDrop, createSeller, type DropJson } from "./support/shop-fixtures";

/**
 * A fan presses Buy on a page loaded before the shop paused or cancelled the drop: the answer is a buy-box
 * state in the page's own voice (HTML, 409), for htmx and without JavaScript, never the API's JSON.
 */
describe("buying on a drop paused or cancelled after the page loaded", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    app = createApp({ db, logError: () => undefined });
    ({ apiKey } = await createSeller(app));
  });
  afterAll(async () => db?.close());

  /** What the seller does in the shop: POST /api/drops/:id/pause | cancel with the API key. */
  async function act(drop: DropJson, action: "pause" | "cancel") {
    const res = await app.request(`/api/drops/${drop.id}/${action}`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(res.status).toBe(200);
  }

  /** Loads the fan page (its form's idempotency key), lets the seller act, then posts that form. */
  async function buyAfter(action: "pause" | "cancel", overrides: Record<string, unknown>, fragment: boolean) {
    const drop = await createDrop(app, apiKey, { quantity: 4, ...overrides });
    const page = await (await app.request(`/d/${drop.slug}`)).text();
    const idempotencyKey = page.match(/name="idempotencyKey" value="([0-9a-f-]{36})"/)?.[1] ?? randomUUID();
    await act(drop, action);
    const res = await app.request(`/d/${drop.slug}/buy`, {
      method: "POST",
      headers: fragment ? { "HX-Request": "true" } : {},
      body: new URLSearchParams({ fan: "late@example.com", idempotencyKey }),
    });
    const orders = await db.query("SELECT 1 FROM orders WHERE drop_id = $1::uuid", [drop.id]);
    expect(orders.rows).toHaveLength(0);
    return { res, html: await res.text(), idempotencyKey };
  }

  it.each([true, false])(
    "paused (htmx %s): the form stays, with its key, saying to keep the page open",
    async (fragment) => {
      const { res, html, idempotencyKey } = await buyAfter("pause", {}, fragment);
      expect(res.status).toBe(409);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(html).toContain(
        '<p id="purchase-result" class="notice warn" role="status" tabindex="-1" data-outcome="paused">Sales are paused for a moment — keep this page open</p>',
      );
      // The same purchase can be tried again when sales resume: same key, same fan, the button there.
      expect(html).toContain(`name="idempotencyKey" value="${idempotencyKey}"`);
      expect(html).toContain('value="late@example.com"');
      expect(html).toContain('<button id="buy-button" type="submit" class="big">Buy now</button>');
      // The drop's state says paused too, swapped in on the open page at once, not when the stream catches up.
      expect(html).toContain('<span class="badge badge-paused">Paused</span>');
      expect(html).toContain('<b class="w-1">4</b> <span>of 4 left</span>');
      if (fragment)
        expect(html).toMatch(/^<form id="buy-form"[\s\S]*<div id="drop-state" hx-swap-oob="innerHTML">/);
      else expect(html).toMatch(/^<!DOCTYPE html>/);
    },
  );

  it.each([true, false])("cancelled (htmx %s): the form gives way to the final word", async (fragment) => {
    const upcoming = { startsAt: new Date(Date.now() + 3_600_000).toISOString() };
    const { res, html } = await buyAfter("cancel", upcoming, fragment);
    expect(res.status).toBe(409);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html).toContain(
      '<div id="purchase-result" class="notice" role="status" tabindex="-1" data-outcome="cancelled"><p class="result-title">This drop was cancelled</p>',
    );
    expect(html).not.toContain('id="buy-form"');
    expect(html).not.toContain('id="countdown"'); // no clock counting down to a go-live that will not come
    // The drop's state says so too, on the open page (swapped in) as on a fresh one.
    expect(html).toContain('<span class="badge badge-cancelled">Cancelled</span>');
    if (fragment) expect(html).toContain('<div id="drop-state" hx-swap-oob="innerHTML">');
    else expect(html).toMatch(/^<!DOCTYPE html>/);
  });
});
