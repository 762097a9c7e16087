/**
 * Fairness's guards (issue 17; docs/draws.md "Pausing", "Editing a draw drop", "Claiming an offer"):
 * a paused drop makes no offer (draw walk-down or waitlist) and the resume offers what waited in rank or list
 * order; a PATCH cannot break a draw's terms. Holds lapse by moving their expiry into the past and sweeping
 * explicitly: no sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { HOUR_MS, isoFromNow } from "./support/clock";
import { TEST_RETRY_POLICY } from "./support/contention";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { createDrop, createSeller, json } from "./support/shop-fixtures";

interface Answer {
  drop?: { id: string; holdMinutes?: number | null; startsAt?: string };
  error?: { code: string; issues?: { path: string }[] };
  order?: { id: string; status: string };
  orderToken?: string;
  status?: string;
  position?: number | null;
  orderId?: string;
  unitNo?: number;
}

describe.each(ALL_BACKENDS)("fairness guards on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;
  const it_ = isAvailable(backend) && backend !== "dsql" ? it : it.skip;

  beforeAll(async () => {
    if (!isAvailable(backend) || backend === "dsql") return;
    db = await openTestDatabase(backend);
    app = createApp({ db, retryPolicy: TEST_RETRY_POLICY, logError: (e) => console.error(e) });
    ({ apiKey } = await createSeller(app));
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  const call = async (path: string, init?: RequestInit) => {
    const res = await app.request(path, init);
    const text = await res.text();
    return { status: res.status, body: (text.startsWith("{") ? JSON.parse(text) : {}) as Answer };
  };
  const asSeller = (body: unknown = {}) => json(body, { authorization: `Bearer ${apiKey}` });
  const patch = (dropId: string, body: unknown) =>
    call(`/api/drops/${dropId}`, { ...asSeller(body), method: "PATCH" });
  const pause = (dropId: string, paused: boolean) =>
    call(`/api/drops/${dropId}/${paused ? "pause" : "resume"}`, asSeller());
  /** Every held order of the drop runs out now, and one sweep ends them (their units return). */
  const lapseHolds = async (dropId: string) => {
    await db.query(
      "UPDATE orders SET expires_at = now() - interval '1 second' WHERE drop_id = $1::uuid AND status = 'held'",
      [dropId],
    );
    await app.shop.checkout.sweep();
  };
  const offersMade = async (dropId: string) =>
    (
      await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM offer_queue WHERE drop_id = $1::uuid AND order_id IS NOT NULL",
        [dropId],
      )
    ).rows[0]!.n;
  const waitlistStatus = async (dropId: string, fan: string) =>
    (await call(`/api/drops/${dropId}/waitlist/me?fan=${fan}`)).body;

  it_(
    "a paused waitlist drop offers nothing; the resume offers the waiting units in list order",
    async () => {
      const drop = await createDrop(app, apiKey, { title: "Paused waitlist", quantity: 2, holdMinutes: 1 });
      for (const fan of ["a@fans.test", "b@fans.test"]) {
        expect((await call(`/api/drops/${drop.id}/purchase`, json({ fan }))).status).toBe(201);
      }
      for (const fan of ["w1@fans.test", "w2@fans.test", "w3@fans.test"]) {
        expect((await call(`/api/drops/${drop.id}/waitlist`, json({ fan }))).status).toBe(201);
      }
      expect((await pause(drop.id, true)).status).toBe(200);
      await lapseHolds(drop.id);
      await app.shop.fairness.tick();
      expect(await offersMade(drop.id)).toBe(0);
      expect(await waitlistStatus(drop.id, "w1@fans.test")).toEqual({ status: "waiting", position: 1 });
      // The units wait, unsold: a buyer cannot take them either while the drop is paused.
      const free = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM returned_units WHERE drop_id = $1::uuid",
        [drop.id],
      );
      expect(free.rows[0]!.n).toBe(2);
      expect(
        (await call(`/api/drops/${drop.id}/purchase`, json({ fan: "c@fans.test" }))).body.error?.code,
      ).toBe("paused");

      expect((await pause(drop.id, false)).status).toBe(200);
      expect(await offersMade(drop.id)).toBe(2);
      expect((await waitlistStatus(drop.id, "w1@fans.test")).status).toBe("offered");
      expect((await waitlistStatus(drop.id, "w2@fans.test")).status).toBe("offered");
      expect(await waitlistStatus(drop.id, "w3@fans.test")).toEqual({ status: "waiting", position: 1 });
    },
  );

  it_("a paused draw walks down nothing; the resume offers in rank order", async () => {
    const drop = await createDrop(app, apiKey, {
      title: "Paused draw",
      quantity: 1,
      holdMinutes: 1,
      verifiedFans: true,
      sale: "draw",
      entriesCloseAt: isoFromNow(HOUR_MS),
    });
    const fans = ["d1@fans.test", "d2@fans.test", "d3@fans.test"];
    for (const fan of fans) await app.shop.fairness.enter(drop.id, fan);
    await db.query("UPDATE draws SET entries_close_at = now() - interval '1 hour' WHERE drop_id = $1::uuid", [
      drop.id,
    ]);
    const ranking = async () =>
      (
        await db.query<{ fan_shown: string }>(
          "SELECT fan_shown FROM offer_queue WHERE drop_id = $1::uuid ORDER BY rank",
          [drop.id],
        )
      ).rows.map((row) => row.fan_shown);
    const status = (fan: string) => app.shop.fairness.entryStatus(drop.id, fan);

    // Drawn while paused: ranked, nobody offered.
    await pause(drop.id, true);
    expect(await app.shop.fairness.runDraw(drop.id)).toBe(true);
    expect(await offersMade(drop.id)).toBe(0);
    const [first, second, third] = await ranking();
    expect((await status(first!))?.status).toBe("waiting");
    await pause(drop.id, false);
    expect((await status(first!))?.status).toBe("won");

    // The winner's hold lapses while paused: the unit waits; the resume offers it to rank 2, not rank 3.
    await pause(drop.id, true);
    await lapseHolds(drop.id);
    await app.shop.fairness.tick();
    expect(await offersMade(drop.id)).toBe(1);
    expect((await status(first!))?.status).toBe("lapsed");
    expect((await status(second!))?.status).toBe("waiting");
    await pause(drop.id, false);
    expect((await status(second!))?.status).toBe("won");
    expect((await status(third!))?.status).toBe("waiting");
  });

  it_("a PATCH cannot break a draw's terms: 422 draw_terms naming the field, nothing written", async () => {
    const drop = await createDrop(app, apiKey, {
      title: "Guarded draw",
      quantity: 3,
      holdMinutes: 5,
      verifiedFans: true,
      sale: "draw",
      startsAt: isoFromNow(HOUR_MS),
      entriesCloseAt: isoFromNow(3 * HOUR_MS),
    });
    const refused = async (body: unknown, paths: string[]) => {
      const res = await patch(drop.id, body);
      expect(res.status).toBe(422);
      expect(res.body.error?.code).toBe("draw_terms");
      expect(res.body.error?.issues?.map((i) => i.path).sort()).toEqual(paths);
    };
    await refused({ holdMinutes: 0 }, ["holdMinutes"]);
    await refused({ verifiedFans: false }, ["verifiedFans"]);
    await refused({ holdMinutes: 0, verifiedFans: false, title: "x" }, ["holdMinutes", "verifiedFans"]);
    await refused({ startsAt: isoFromNow(4 * HOUR_MS) }, ["startsAt"]);
    await refused({ entriesCloseAt: isoFromNow(HOUR_MS / 2) }, ["entriesCloseAt"]);
    await refused({ sale: "first_come" }, ["sale"]);
    // Sizes became editable (merch-edit); a draw offers whatever unit comes back in rank order: one size.
    const sized = await patch(drop.id, {
      variants: [
        { name: "S", quantity: 1 },
        { name: "M", quantity: 2 },
      ],
    });
    expect(sized.status).toBe(400);
    expect(sized.body.error?.issues?.map((i) => i.path)).toEqual(["variants"]);
    const unchanged = await call(`/api/drops/${drop.id}`);
    expect(unchanged.body.drop).toMatchObject({ title: "Guarded draw", holdMinutes: 5, verifiedFans: true });

    // What keeps the draw whole passes: a later close, a new hold length, the go-live moved before the close.
    const close = isoFromNow(5 * HOUR_MS);
    const moved = await patch(drop.id, {
      entriesCloseAt: close,
      holdMinutes: 10,
      startsAt: isoFromNow(4 * HOUR_MS),
    });
    expect(moved.status).toBe(200);
    expect(moved.body.drop).toMatchObject({ entriesCloseAt: close, holdMinutes: 10 });

    // Once live (entries open) the close and the orders mode are fixed: 409; the hold's length still moves.
    await db.query("UPDATE drops SET starts_at = now() - interval '1 minute' WHERE id = $1::uuid", [drop.id]);
    for (const body of [
      { entriesCloseAt: isoFromNow(6 * HOUR_MS) },
      { holdMinutes: 0 },
      { verifiedFans: false },
    ]) {
      const res = await patch(drop.id, body);
      expect(res.status).toBe(409);
      expect(res.body.error?.code).toBe("drop_live");
    }
    expect((await patch(drop.id, { holdMinutes: 3 })).status).toBe(200);
  });

  it_("a first-come drop cannot be made a draw by a PATCH", async () => {
    const drop = await createDrop(app, apiKey, { title: "Plain", startsAt: isoFromNow(HOUR_MS) });
    for (const [body, path] of [
      [{ sale: "draw" }, "sale"],
      [{ entriesCloseAt: isoFromNow(2 * HOUR_MS) }, "entriesCloseAt"],
    ] as const) {
      const res = await patch(drop.id, body);
      expect(res.status).toBe(422);
      expect(res.body.error?.issues?.map((i) => i.path)).toEqual([path]);
    }
    expect((await patch(drop.id, { sale: "first_come", holdMinutes: 0 })).status).toBe(200);
  });

  it_("an instant drop's waitlist offer is claimed or passed from its page and the API", async () => {
    const drop = await createDrop(app, apiKey, { title: "Instant waitlist", quantity: 1 });
    const bought = await call(`/api/drops/${drop.id}/purchase`, json({ fan: "a@fans.test" }));
    expect(bought.status).toBe(201);
    for (const fan of ["w1@fans.test", "w2@fans.test", "w3@fans.test"]) {
      expect((await call(`/api/drops/${drop.id}/waitlist`, json({ fan }))).status).toBe(201);
    }
    const cancel = (orderId: string) => call(`/api/orders/${orderId}/cancel`, asSeller());
    const offerOf = async (fan: string) => {
      const status = await waitlistStatus(drop.id, fan);
      expect(status.status).toBe("offered");
      return { orderId: status.orderId!, token: status.orderToken! };
    };
    /** The fan's open page: the waitlist box, as the join answers it to htmx, with the offer's link. */
    const offerLink = async (fan: string) => {
      const res = await app.request(`/d/${drop.slug}/waitlist`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
        body: new URLSearchParams({ fan }).toString(),
      });
      const box = await res.text();
      expect(box).toContain("Claim it");
      return /href="(\/d\/[^"]+\/orders\/[^"]+)"/.exec(box)![1]!.replaceAll("&amp;", "&");
    };
    const claimApi = (offer: { orderId: string; token: string }) =>
      call(`/api/orders/${offer.orderId}/claim`, json({}, { authorization: `Bearer ${offer.token}` }));

    // The seller cancels the order: its unit is offered to w1, who claims it through the API.
    expect((await cancel(bought.body.order!.id)).status).toBe(200);
    const first = await offerOf("w1@fans.test");
    const page = await (await app.request(await offerLink("w1@fans.test"))).text();
    expect(page).toContain('id="claim-button"');
    expect(page).toContain("Claim within");
    const claimed = await claimApi(first);
    expect(claimed).toMatchObject({
      status: 200,
      body: { order: { id: first.orderId, status: "placed" } },
    });
    expect((await claimApi(first)).body.order?.status).toBe("placed");
    expect((await waitlistStatus(drop.id, "w1@fans.test")).status).toBe("paid");

    // Back again: w2 passes from the page, w3 claims from the page, and gets the receipt at the same link.
    expect((await cancel(first.orderId)).status).toBe(200);
    const passLink = await offerLink("w2@fans.test");
    const passed = await app.request(passLink.replace("?", "/release?"), { method: "POST" });
    expect(passed.status).toBe(303);
    expect((await waitlistStatus(drop.id, "w2@fans.test")).status).toBe("lapsed");
    const third = await offerOf("w3@fans.test");
    const claimLink = await offerLink("w3@fans.test");
    const viaPage = await app.request(claimLink.replace("?", "/claim?"), { method: "POST" });
    expect(viaPage.status).toBe(303);
    const receipt = await (await app.request(claimLink)).text();
    expect(receipt).not.toContain('id="claim-button"');
    expect(receipt).toContain("#1");
    expect((await claimApi(third)).body.order?.status).toBe("placed");

    // Exactly one unit, in one order, all along.
    const orders = await db.query<{ status: string | null }>(
      "SELECT status FROM orders WHERE drop_id = $1::uuid",
      [drop.id],
    );
    expect(orders.rows).toEqual([{ status: null }]);
  });

  it_("a claim after the offer lapsed is 409 hold_expired, never a second unit", async () => {
    const drop = await createDrop(app, apiKey, { title: "Late claim", quantity: 1 });
    const bought = await call(`/api/drops/${drop.id}/purchase`, json({ fan: "a@fans.test" }));
    await call(`/api/drops/${drop.id}/waitlist`, json({ fan: "late@fans.test" }));
    await call(`/api/orders/${bought.body.order!.id}/cancel`, asSeller());
    const offer = await waitlistStatus(drop.id, "late@fans.test");
    expect(offer.status).toBe("offered");
    await db.query("UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = $1::uuid", [
      offer.orderId,
    ]);
    const late = await call(
      `/api/orders/${offer.orderId}/claim`,
      json({}, { authorization: `Bearer ${offer.orderToken}` }),
    );
    expect(late.status).toBe(409);
    expect(late.body.error?.code).toBe("hold_expired");
    await app.shop.checkout.sweep();
    const { rows } = await db.query<{ orders: number; free: number }>(
      `SELECT (SELECT count(*)::int FROM orders WHERE drop_id = $1::uuid) AS orders,
              (SELECT count(*)::int FROM returned_units WHERE drop_id = $1::uuid) AS free`,
      [drop.id],
    );
    expect(rows[0]).toEqual({ orders: 0, free: 1 });
  });
});
