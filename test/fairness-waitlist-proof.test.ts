import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database";
import { ALL_BACKENDS, isAvailable } from "./support/databases";
import { createDrop, json } from "./support/shop-fixtures";
import { openTwoApps, type TwoApps } from "./support/two-apps";

/**
 * Issue 17 §6, the waitlist: a hold drop whose holds lapse, are released or paid, with 500 fans waiting:
 * every returned unit is offered in list order, nobody holds two offers at once, exactly N at every moment
 * and at the end. Two apps (two connection pools on PostgreSQL) sweep at once. Holds lapse by moving their
 * expiry into the past and sweeping explicitly: no sleeps.
 */
/** The fields of the answers this test reads. */
interface Answer {
  error?: { code: string };
  order?: { id: string };
  orderToken?: string;
  position?: number | null;
  status?: string;
}

const UNITS = 20;
const WAITING = 500;

describe.each(ALL_BACKENDS)("a waitlist on a sold-out hold drop, on %s", (backend) => {
  let db: Database;
  let app: TwoApps["app"];
  let otherApp: TwoApps["otherApp"];
  let apiKey: string;
  let apps: TwoApps | undefined;
  const it_ = isAvailable(backend) && backend !== "dsql" ? it : it.skip;

  beforeAll(async () => {
    if (!isAvailable(backend) || backend === "dsql") return;
    apps = await openTwoApps(backend);
    ({ db, app, otherApp, apiKey } = apps);
  }, 120_000);
  afterAll(async () => {
    await apps?.close();
  });

  const call = async (path: string, init?: RequestInit) => {
    const res = await app.request(path, init);
    return {
      status: res.status,
      body: res.status === 204 ? {} : ((await res.json()) as Answer),
    };
  };
  const asHolder = (token: string, body: unknown = {}) => json(body, { authorization: `Bearer ${token}` });

  it_(
    "500 waiting: units come back to them in list order, one offer per fan at a time, exactly N",
    async () => {
      const drop = await createDrop(app, apiKey, {
        title: "Waitlist proof",
        quantity: UNITS,
        holdMinutes: 1,
      });
      const early = await call(`/api/drops/${drop.id}/waitlist`, json({ fan: "early@fans.test" }));
      expect(early.status).toBe(409);
      expect(early.body.error?.code).toBe("units_available");

      // Twenty buyers hold every unit: the drop is fully held.
      const tokens = new Map<string, string>();
      for (let i = 0; i < UNITS; i++) {
        const res = await call(`/api/drops/${drop.id}/purchase`, json({ fan: `buyer${i}@fans.test` }));
        expect(res.status).toBe(201);
        tokens.set(res.body.order!.id, res.body.orderToken!);
      }
      const sold = await call(`/api/drops/${drop.id}/purchase`, json({ fan: "late@fans.test" }));
      expect(sold.body.error?.code).toBe("sold_out");

      // 500 fans join, one place each; a second join answers the same place; five leave again.
      for (let i = 0; i < WAITING; i++) {
        const res = await call(`/api/drops/${drop.id}/waitlist`, json({ fan: `fan${i}@fans.test` }));
        expect(res.status).toBe(201);
        expect(res.body.position).toBe(i + 1);
      }
      const again = await call(`/api/drops/${drop.id}/waitlist`, json({ fan: "FAN3@fans.test" }));
      expect(again).toMatchObject({ status: 200, body: { position: 4 } });
      for (const i of [0, 2, 50, 51, 52]) {
        const left = await call(`/api/drops/${drop.id}/waitlist?fan=fan${i}@fans.test`, { method: "DELETE" });
        expect(left.status).toBe(204);
      }
      expect((await call(`/api/drops/${drop.id}/waitlist/me?fan=fan1@fans.test`)).body).toEqual({
        status: "waiting",
        position: 1,
      });
      expect((await call(`/api/drops/${drop.id}/waitlist/me?fan=fan3@fans.test`)).body.position).toBe(2);

      const listOrder = (
        await db.query<{ id: string }>(
          "SELECT id FROM offer_queue WHERE drop_id = $1::uuid ORDER BY joined_at, id",
          [drop.id],
        )
      ).rows.map((row) => row.id);
      expect(listOrder).toHaveLength(WAITING - 5);

      const check = async () => {
        const { rows } = await db.query<{
          n: number;
          units: number;
          low: number;
          high: number;
          paid: number;
        }>(
          `SELECT count(*)::int AS n, count(DISTINCT unit_no)::int AS units, min(unit_no) AS low,
                  max(unit_no) AS high, count(*) FILTER (WHERE status = 'paid')::int AS paid
           FROM orders WHERE drop_id = $1::uuid AND status IN ('held', 'paid')`,
          [drop.id],
        );
        const now = rows[0]!;
        expect(now.n).toBeLessThanOrEqual(UNITS);
        expect(now.units).toBe(now.n);
        expect(now.high).toBeLessThanOrEqual(UNITS);
        // Nobody holds two offers (or an offer and a hold) at once.
        const doubled = await db.query(
          `SELECT fan FROM orders WHERE drop_id = $1::uuid AND status = 'held' GROUP BY fan HAVING count(*) > 1`,
          [drop.id],
        );
        expect(doubled.rows).toEqual([]);
        // The entries offered so far are the head of the list, in list order.
        const offered = (
          await db.query<{ id: string }>(
            "SELECT id FROM offer_queue WHERE drop_id = $1::uuid AND order_id IS NOT NULL",
            [drop.id],
          )
        ).rows.map((row) => row.id);
        expect(new Set(offered)).toEqual(new Set(listOrder.slice(0, offered.length)));
        // Units never go back to stock while fans wait.
        const free = await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM returned_units WHERE drop_id = $1::uuid",
          [drop.id],
        );
        expect(free.rows[0]!.n).toBe(0);
        return { ...now, offered: offered.length };
      };

      // Rounds: of the holds, a third are paid, a third released by their fan, a third lapse.
      let state = await check();
      for (let round = 0; round < 40 && state.paid < UNITS; round++) {
        const { rows: held } = await db.query<{ id: string; offer_token: string | null }>(
          `SELECT o.id, q.offer_token FROM orders o LEFT JOIN offer_queue q ON q.order_id = o.id
           WHERE o.drop_id = $1::uuid AND o.status = 'held' ORDER BY o.unit_no`,
          [drop.id],
        );
        const tokenOf = (h: { id: string; offer_token: string | null }) => h.offer_token ?? tokens.get(h.id)!;
        for (const [i, h] of held.entries()) {
          if ((i + round) % 3 === 0) {
            const paid = await call(
              `/api/orders/${h.id}/pay`,
              asHolder(tokenOf(h), { card: "4242424242424242" }),
            );
            expect(paid.status).toBe(200);
          } else if ((i + round) % 3 === 1) {
            const released = await call(`/api/orders/${h.id}/release`, asHolder(tokenOf(h)));
            expect(released.status).toBe(200);
          }
        }
        await db.query(
          "UPDATE orders SET expires_at = now() - interval '1 second' WHERE drop_id = $1::uuid AND status = 'held' AND id = ANY($2::uuid[])",
          [drop.id, held.filter((_, i) => (i + round) % 3 === 2).map((h) => h.id)],
        );
        await Promise.all([app.shop.checkout.sweep(), otherApp.shop.checkout.sweep()]);
        state = await check();
      }

      expect(state).toMatchObject({ n: UNITS, units: UNITS, low: 1, high: UNITS, paid: UNITS });
      const events = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM events WHERE drop_id = $1::uuid AND type = 'waitlist.offered'",
        [drop.id],
      );
      expect(events.rows[0]!.n).toBe(state.offered);
      // What each fan reads now: the first one offered, and one never reached, still in line (every unit is
      // paid, but a refund or cancel would bring one back to the list).
      const first = await call(`/api/drops/${drop.id}/waitlist/me?fan=fan1@fans.test`);
      expect(["paid", "lapsed"]).toContain(first.body.status);
      expect((await call(`/api/drops/${drop.id}/waitlist/me?fan=fan499@fans.test`)).body).toMatchObject({
        status: "waiting",
      });
      const stats = await call(`/api/drops/${drop.id}/queue`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      expect(stats.body).toMatchObject({ entries: WAITING - 5, offered: state.offered, held: 0 });
    },
    600_000,
  );
});
