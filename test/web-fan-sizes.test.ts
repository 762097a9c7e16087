import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import type { Drop, Seller } from "../src/domain/types";
import { fromNow, MINUTE_MS } from "./support/clock";
import { appWithSeller, hoodieDrop } from "./support/shop-fixtures";
import { sseReader } from "./support/sse";

/**
 * The fan's size picker (issue 18 §1): a drop of several variants shows a radio group of every size, a
 * sold-out size struck through and disabled but still there; the form insists on a size, and a size that
 * sells out under the fan's thumb brings the form back with that size struck and the fan's input kept.
 */
let db: Database;
let app: ReturnType<typeof createApp>;
let seller: Seller;

beforeAll(async () => {
  ({ db, app, seller } = await appWithSeller("sizes@example.com"));
});
afterAll(async () => db?.close());

const sizedDrop = (): Promise<Drop> =>
  app.shop.createDrop(
    seller,
    hoodieDrop({
      title: "Tour tee",
      quantity: undefined,
      startsAt: fromNow(-MINUTE_MS),
      maxPerFan: 3,
      variants: [
        { name: "S", quantity: 1 },
        { name: "M", quantity: 4 },
        { name: "XL", quantity: 2, priceCents: 5400 },
      ],
    }),
  );

async function post(drop: Drop, fields: Record<string, string>, fragment = true) {
  const res = await app.request(`/d/${drop.slug}/buy`, {
    method: "POST",
    headers: fragment ? { "HX-Request": "true" } : {},
    body: new URLSearchParams(fields),
  });
  return { status: res.status, html: await res.text(), res };
}

describe("the fan's size picker", () => {
  it("lists every size as an accessible radio group, with a size's own price", async () => {
    const drop = await sizedDrop();
    const html = await (await app.request(`/d/${drop.slug}`)).text();
    expect(html).toContain('<fieldset class="size-picker"><legend>Size</legend>');
    const variants = await app.shop.variantsOf(drop);
    for (const [i, variant] of variants.entries()) {
      expect(html).toContain(
        `<input id="size-${i}" type="radio" name="variant" value="${variant.id}" required=""/>`,
      );
    }
    expect(html).toContain('<label class="size-option" for="size-0" data-position="0" data-name="S">');
    expect(html).toContain('<span class="size-price">$54.00</span>');
    expect(html).not.toContain("<s>");
  });

  it("insists on a size, then sells the one picked; a sold-out size stays, struck through", async () => {
    const drop = await sizedDrop();
    const [small] = await app.shop.variantsOf(drop);
    const key = randomUUID();
    const none = await post(drop, { fan: "kim@example.com", idempotencyKey: key });
    expect(none.status).toBe(422);
    expect(none.html).toContain("Pick a size.");
    expect(none.html).toContain('value="kim@example.com"');
    expect(none.html).toContain(`value="${key}"`);

    const bought = await post(drop, { fan: "kim@example.com", idempotencyKey: key, variant: small!.id });
    expect(bought.status).toBe(201);
    const { rows } = await db.query<{ unit_no: number }>(
      "SELECT unit_no FROM orders WHERE idempotency_key = $1::text",
      [key],
    );
    expect(rows).toEqual([{ unit_no: 1 }]);

    // S is gone now: the next fan who picks it gets the form back, S struck through and disabled.
    const late = await post(drop, { fan: "lee@example.com", idempotencyKey: randomUUID(), variant: "S" });
    expect(late.status).toBe(409);
    expect(late.html).toContain("S just sold out. Pick another size.");
    expect(late.html).toContain(
      '<label class="size-option sold-out" for="size-0" data-position="0" data-name="S"><input id="size-0" type="radio" name="variant" value="' +
        `${small!.id}" required="" disabled=""/><span class="size-name"><s>S</s><span class="visually-hidden"> (sold out)</span></span></label>`,
    );
    // The page, loaded afresh, shows the same.
    const page = await (await app.request(`/d/${drop.slug}`)).text();
    expect(page).toContain("<s>S</s>");
    expect(page).toContain('<div class="state state-live"');
  });

  it("works without JS: a post without a size shows the page again with the picker and the fan's input", async () => {
    const drop = await sizedDrop();
    const none = await post(drop, { fan: "noscript@example.com", idempotencyKey: randomUUID() }, false);
    expect(none.status).toBe(422);
    expect(none.html).toContain("<h1>Tour tee</h1>");
    expect(none.html).toContain('<fieldset class="size-picker">');
    expect(none.html).toContain("Pick a size.");
    const picked = await post(
      drop,
      { fan: "noscript@example.com", idempotencyKey: randomUUID(), variant: "XL" },
      false,
    );
    expect(picked.status).toBe(303);
  });

  it("shows no picker on a drop made without variants", async () => {
    const drop = await app.shop.createDrop(seller, hoodieDrop({ startsAt: fromNow(-MINUTE_MS) }));
    const html = await (await app.request(`/d/${drop.slug}`)).text();
    expect(html).not.toContain("size-picker");
    expect(html).not.toContain("data-sizes-left");
  });
});

describe("the live counter of a sized drop (issue 18 §5)", () => {
  /** The next "stock" event's state: the total and each size's units left (by position). */
  async function nextState(stream: ReturnType<typeof sseReader>) {
    for (;;) {
      const event = await stream.next();
      if (!event) throw new Error("the stream ended");
      if (event.event !== "stock") continue;
      return {
        remaining: event.data?.match(/data-remaining="(\d+)"/)?.[1],
        sizes: event.data?.match(/data-sizes-left="([\d,]*)"/)?.[1],
      };
    }
  }

  it("streams each size's units left with the total: a size sold out, and back when its unit returns", async () => {
    const drop = await sizedDrop();
    const res = await app.request(`/d/${drop.slug}/stream`);
    const stream = sseReader(res.body!);
    expect(await nextState(stream)).toEqual({ remaining: "7", sizes: "1,4,2" });

    const key = randomUUID();
    expect((await post(drop, { fan: "ann@example.com", idempotencyKey: key, variant: "S" })).status).toBe(
      201,
    );
    expect(await nextState(stream)).toEqual({ remaining: "6", sizes: "0,4,2" });

    // The seller cancels it: S is on sale again, and the open page is told.
    const { rows } = await db.query<{ id: string }>(
      "SELECT id FROM orders WHERE idempotency_key = $1::text",
      [key],
    );
    await app.shop.orderManagement.cancel(seller, rows[0]!.id);
    expect(await nextState(stream)).toEqual({ remaining: "7", sizes: "1,4,2" });
    await stream.cancel();
  });
});
