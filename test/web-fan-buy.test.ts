import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import type { Drop, Seller } from "../src/domain/types";
import { appWithSeller, hoodieDrop } from "./support/shop-fixtures";

let db: Database;
let app: ReturnType<typeof createApp>;
let seller: Seller;

beforeAll(async () => {
  ({ db, app, seller } = await appWithSeller("fanbuy@example.com"));
});
afterAll(async () => db?.close());

const newDrop = (overrides: { quantity?: number; startsAt?: Date; maxPerFan?: number } = {}): Promise<Drop> =>
  app.shop.createDrop(seller, hoodieDrop(overrides));

/** Posts the buy form, as htmx does (`fragment`) or as a browser without JS does. */
async function buy(
  target: { request: typeof app.request },
  drop: Drop,
  fields: Record<string, string>,
  fragment = true,
) {
  const res = await target.request(`/d/${drop.slug}/buy`, {
    method: "POST",
    headers: fragment ? { "HX-Request": "true" } : {},
    body: new URLSearchParams(fields),
  });
  return { status: res.status, html: await res.text(), res };
}

const orderFor = async (key: string) =>
  (
    await db.query<{ id: string; unit_no: number; fan: string }>(
      "SELECT id, unit_no, fan_shown AS fan FROM orders WHERE idempotency_key = $1::text",
      [key],
    )
  ).rows;

/** The receipt's unit line and order reference (short, the whole id on hover), as the receipt renders them. */
const receiptOf = (unitNo: number, quantity: number, orderId: string) => [
  `<p class="receipt-unit"><span class="receipt-unit-label">Unit</span> <b>#${unitNo}</b> <span class="receipt-unit-of">of ${quantity}</span></p>`,
  `<code id="order-id" class="order-id" title="${orderId}">${orderId.slice(0, 4).toUpperCase()}-${orderId.slice(4, 8).toUpperCase()}</code>`,
];

describe("buying on the fan page", () => {
  it("answers an htmx buy with the receipt that replaces the form (201), linking to its own page", async () => {
    const drop = await newDrop();
    const key = randomUUID();
    const { status, html } = await buy(app, drop, { fan: " Fan@Example.com ", idempotencyKey: key });
    expect(status).toBe(201);
    const [order] = await orderFor(key);
    expect(order?.fan).toBe("Fan@Example.com"); // trimmed, its letter case kept
    expect(html).toMatch(
      /^<section id="purchase-result" class="receipt" role="status"[^>]*data-outcome="bought"/,
    );
    for (const part of receiptOf(order!.unit_no, 5, order!.id)) expect(html).toContain(part);
    expect(html).toContain("You got it");
    expect(html).toContain('<p class="receipt-what">Hoodie · Ada</p>');
    expect(html).toContain('<dt>Price</dt><dd class="receipt-paid"><b>$49.00</b></dd>');
    expect(html).toMatch(new RegExp(`href="/d/${drop.slug}/orders/${order!.id}\\?k=[\\w-]{32}"`));
  });

  it("sends a plain form POST on to the receipt (303), which reloads as often as the fan likes", async () => {
    const drop = await newDrop();
    const key = randomUUID();
    const { status, res } = await buy(app, drop, { fan: "nojs@example.com", idempotencyKey: key }, false);
    expect(status).toBe(303);
    const [order] = await orderFor(key);
    const location = res.headers.get("location")!;
    expect(location).toMatch(new RegExp(`^/d/${drop.slug}/orders/${order!.id}\\?k=[\\w-]{32}$`));
    for (let load = 0; load < 2; load++) {
      const page = await app.request(location);
      expect(page.status).toBe(200);
      expect(page.headers.get("referrer-policy")).toBe("no-referrer");
      const html = await page.text();
      expect(html).toMatch(/^<!DOCTYPE html>/);
      for (const part of receiptOf(order!.unit_no, 5, order!.id)) expect(html).toContain(part);
      expect(html).toContain(`href="${location}"`);
    }
    // The same address with any part wrong is not found; nothing tells which part.
    const k = new URL(location, "http://x").searchParams.get("k")!;
    const wrongK = `${k.slice(0, -1)}${k.endsWith("A") ? "B" : "A"}`;
    const other = await newDrop();
    for (const bad of [
      location.replace(`k=${k}`, `k=${wrongK}`),
      location.replace(`?k=${k}`, ""),
      location.replace(order!.id, randomUUID()),
      location.replace(drop.slug, other.slug),
      location.replace(order!.id, "not-an-order"),
    ]) {
      const res = await app.request(bad);
      expect(res.status, bad).toBe(404);
      expect(await res.text()).toContain("Receipt not found");
    }
  });

  it("signs receipt links with a secret the database keeps: a client-chosen key makes them no easier", async () => {
    const drop = await newDrop({ maxPerFan: 2 });
    const { res } = await buy(app, drop, { fan: "short@example.com", idempotencyKey: "1" }, false);
    const [order] = await orderFor("1");
    const k = new URL(res.headers.get("location")!, "http://x").searchParams.get("k")!;
    const { createHash } = await import("node:crypto");
    for (const guess of ["1", order!.id]) {
      expect(k).not.toBe(createHash("sha256").update(guess).digest("base64url").slice(0, 32));
    }
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM site_secrets");
    expect(rows[0]!.n).toBe(1);
  });

  it("replays the same key (resubmit, double click) as the same order, never a second unit", async () => {
    const drop = await newDrop({ maxPerFan: 5 });
    const key = randomUUID();
    const clicks = await Promise.all(
      [1, 2, 3].map(() => buy(app, drop, { fan: "double@example.com", idempotencyKey: key })),
    );
    const orders = await orderFor(key);
    expect(orders).toHaveLength(1);
    const [order] = orders;
    expect(clicks.map((c) => c.status).sort()).toEqual([200, 200, 201]);
    const replayed = clicks.find((c) => c.status === 200)!;
    expect(replayed.html).toContain("Already yours");
    expect(replayed.html).toContain(receiptOf(order!.unit_no, 5, order!.id)[0]);
    const resubmit = await buy(app, drop, { fan: "double@example.com", idempotencyKey: key }, false);
    expect(resubmit.status).toBe(303);
    expect(resubmit.res.headers.get("location")).toContain(order!.id);
    expect((await app.shop.dropWithStock(drop.id)).remaining).toBe(4);
  });

  it("says sold out (409) once, through the drop's state, swapped in with the answer", async () => {
    const drop = await newDrop({ quantity: 1 });
    expect((await buy(app, drop, { fan: "first@example.com", idempotencyKey: randomUUID() })).status).toBe(
      201,
    );
    const { status, html } = await buy(app, drop, { fan: "late@example.com", idempotencyKey: randomUUID() });
    expect(status).toBe(409);
    expect(html).toContain(
      '<p id="purchase-result" class="visually-hidden" role="status" tabindex="-1" data-outcome="sold_out">Sold out: the only unit is taken.</p>',
    );
    // The fresh page's own sold-out state, exactly, replaces the one on the open page.
    const fresh = await (await app.request(`/d/${drop.slug}`)).text();
    const state = /<div class="state state-sold_out".*?<\/a><\/p><\/div>/.exec(fresh)?.[0];
    expect(state).toBeDefined();
    expect(html).toContain(`<div id="drop-state" hx-swap-oob="innerHTML">${state}</div>`);
    const noJs = await buy(app, drop, { fan: "late@example.com", idempotencyKey: randomUUID() }, false);
    expect(noJs.status).toBe(409);
    expect(noJs.html).toContain(state);
    expect(noJs.html).not.toContain('id="buy-form"');
  });

  it("says not live yet (409) with the time left, keeping the form, the fan and the key", async () => {
    const drop = await newDrop({ startsAt: new Date(Date.now() + 3_600_000 + 5_000) });
    const key = randomUUID();
    const { status, html } = await buy(app, drop, { fan: "eager@example.com", idempotencyKey: key });
    expect(status).toBe(409);
    expect(html).toMatch(
      /<p id="purchase-result" class="notice warn" role="status" tabindex="-1" data-outcome="not_live">Not live yet — starts in 01:00:0[45]<\/p>/,
    );
    expect(html).toContain('value="eager@example.com"');
    expect(html).toContain(`<input type="hidden" name="idempotencyKey" value="${key}"/>`);
    expect(html).not.toContain("hx-trigger");
    expect(await orderFor(key)).toHaveLength(0);
  });

  it("re-posts by itself at go-live when it is only seconds away", async () => {
    const drop = await newDrop({ startsAt: new Date(Date.now() + 4_000) });
    const { status, html } = await buy(app, drop, { fan: "eager@example.com", idempotencyKey: randomUUID() });
    expect(status).toBe(409);
    const delay = Number(html.match(/hx-trigger="submit, load delay:(\d+)ms"/)?.[1]);
    expect(delay).toBeGreaterThan(2_000);
    expect(delay).toBeLessThanOrEqual(4_250);
  });

  it("says limit reached (409) when the fan already has the most allowed", async () => {
    const drop = await newDrop({ maxPerFan: 1 });
    expect((await buy(app, drop, { fan: "one@example.com", idempotencyKey: randomUUID() })).status).toBe(201);
    const { status, html } = await buy(app, drop, { fan: "ONE@example.com", idempotencyKey: randomUUID() });
    expect(status).toBe(409);
    expect(html).toBe(
      '<div id="purchase-result" class="notice warn" role="status" tabindex="-1" data-outcome="limit_reached"><p class="result-title">Limit reached</p><p>At most 1 per fan, and you have them.</p></div>',
    );
  });

  it("shows field errors next to the field (400), keeping the input and the key", async () => {
    const drop = await newDrop();
    const key = randomUUID();
    const empty = await buy(app, drop, { fan: "   ", idempotencyKey: key });
    expect(empty.status).toBe(400);
    expect(empty.html).toContain(
      '<input id="fan" name="fan" type="text" inputmode="email" autocomplete="email" autocapitalize="none" spellcheck="false" required="" maxlength="200" value="   " aria-invalid="true" aria-describedby="fan-error"/><p id="fan-error" class="field-error">Enter your email or handle</p>',
    );
    expect(empty.html).toContain(`name="idempotencyKey" value="${key}"`);

    const long = await buy(app, drop, { fan: "x".repeat(201), idempotencyKey: key }, false);
    expect(long.status).toBe(400);
    expect(long.html).toContain("<h1>Hoodie</h1>");
    expect(long.html).toContain(
      '<p id="fan-error" class="field-error">Keep it to 200 characters or fewer</p>',
    );
    expect(await orderFor(key)).toHaveLength(0);
  });

  it("replaces a missing or unusable key with a fresh one and asks to submit again (400)", async () => {
    const drop = await newDrop();
    const attempts: Record<string, string>[] = [
      { fan: "a@example.com" },
      { fan: "a@example.com", idempotencyKey: "has spaces" },
    ];
    for (const fields of attempts) {
      const { status, html } = await buy(app, drop, fields);
      expect(status).toBe(400);
      expect(html).toContain(
        '<p id="purchase-result" class="notice bad" role="status" tabindex="-1" data-outcome="invalid">This form had expired. Please submit again.</p>',
      );
      expect(html).toMatch(/name="idempotencyKey" value="[0-9a-f-]{36}"/);
      expect(html).toContain('value="a@example.com"');
    }
    expect((await app.shop.dropWithStock(drop.id)).remaining).toBe(5);
  });

  it("says busy (503, Retry-After) and re-posts the same key with growing, jittered delays", async () => {
    // Every purchase statement hits a serialization failure, so the retry budget runs out: "busy".
    const conflicted: Database = {
      ...db,
      query: (text, params) =>
        text.includes("WITH the_drop AS")
          ? Promise.reject(Object.assign(new Error("could not serialize access"), { code: "40001" }))
          : db.query(text, params),
    };
    const busyApp = createApp({
      db: conflicted,
      retryPolicy: { maxAttempts: 2, deadlineMs: 1000, baseDelayMs: 1, maxDelayMs: 1 },
      logError: () => undefined,
    });
    const drop = await newDrop();
    const key = randomUUID();
    const first = await buy(busyApp, drop, { fan: "crowd@example.com", idempotencyKey: key });
    expect(first.status).toBe(503);
    expect(first.res.headers.get("retry-after")).toBe("1");
    expect(first.html).toContain(`name="idempotencyKey" value="${key}"`);
    expect(first.html).toContain('<input type="hidden" name="retry" value="1"/>');
    expect(first.html).toContain('value="crowd@example.com"');
    const delay1 = Number(first.html.match(/hx-trigger="submit, load delay:(\d+)ms"/)?.[1]);
    expect(delay1).toBeGreaterThanOrEqual(750);
    expect(delay1).toBeLessThanOrEqual(1000);
    expect(first.html).toMatch(/data-outcome="busy">Busy — trying again in 1 s<\/p>/);

    const second = await buy(busyApp, drop, { fan: "crowd@example.com", idempotencyKey: key, retry: "1" });
    expect(second.html).toContain('<input type="hidden" name="retry" value="2"/>');
    const delay2 = Number(second.html.match(/load delay:(\d+)ms/)?.[1]);
    expect(delay2).toBeGreaterThanOrEqual(1500);
    expect(delay2).toBeLessThanOrEqual(2000);

    const givingUp = await buy(busyApp, drop, { fan: "crowd@example.com", idempotencyKey: key, retry: "8" });
    expect(givingUp.status).toBe(503);
    expect(givingUp.html).not.toContain("hx-trigger");
    expect(givingUp.html).toContain("Busy — too many buyers at once. Please try again.");

    // Once the crowd thins, the same key buys exactly once.
    const calm = await buy(app, drop, { fan: "crowd@example.com", idempotencyKey: key, retry: "3" });
    expect(calm.status).toBe(201);
    expect(await orderFor(key)).toHaveLength(1);
  });
});
