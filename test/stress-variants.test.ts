import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Database } from "../src/db/database";
import { UNITS_PER_VARIANT } from "../src/domain/purchase";
import * as repo from "../src/repository";
import type { Receipt } from "../src/stampede";
import { type LocalServer, startLocalServer } from "../src/stampede/local-server";
import { DAY_MS, isoFromNow } from "./support/clock";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { json } from "./support/shop-fixtures";
import { parseEvents } from "./support/sse-events";
import { TestBrowser } from "./web-seller-browser";

/**
 * The Stress Test on a drop of several sizes (issue 18 §1): the rehearsal copy keeps the sizes, the runner
 * spreads its fans round them, and the receipt judges every size exactly (units counted across the drop):
 * an instant drop and a hold drop, each ending on a passing receipt with every size sold out.
 */
const PASSWORD = "correct horse battery";
const SIZES = [
  { name: "S", quantity: 3 },
  { name: "M", quantity: 5 },
  { name: "L", quantity: 2, priceCents: 4500 },
];

describe.each(ALL_BACKENDS.filter((b) => b !== "dsql"))("on %s", (backend) => {
  describe.skipIf(!isAvailable(backend))("Stress Test of a drop with sizes", () => {
    let db: Database;
    let server: LocalServer;
    let seller: TestBrowser;
    let apiKey: string;

    beforeAll(async () => {
      db = await openTestDatabase(backend);
      server = await startLocalServer({
        db,
        logError: () => undefined,
        stressLimits: { runsPerHour: 1000, attemptsPerDay: 100_000_000 },
        rehearsalHoldSeconds: 1,
        holdSweepMs: 250,
      });
      const email = `sizes-${backend}@example.com`;
      const res = await server.app.request("/api/sellers", json({ email, password: PASSWORD, name: "Sia" }));
      apiKey = ((await res.json()) as { apiKey: string }).apiKey;
      seller = new TestBrowser(server.app, server.url);
      expect((await seller.signIn(email, PASSWORD)).status).toBe(303);
    });

    afterAll(async () => {
      await server?.close();
      await db?.close();
    });

    test.each([
      ["instant", 0],
      ["hold", 10],
    ])("an %s drop: the rehearsal keeps the sizes and the receipt passes", async (_mode, holdMinutes) => {
      const res = await server.app.request(
        "/api/drops",
        json(
          { title: "Sized", priceCents: 4000, variants: SIZES, holdMinutes, startsAt: isoFromNow(DAY_MS) },
          { authorization: `Bearer ${apiKey}` },
        ),
      );
      expect(res.status).toBe(201);
      const drop = ((await res.json()) as { drop: { slug: string } }).drop;
      const started = await seller.submit(`/seller/drops/${drop.slug}`, `/seller/drops/${drop.slug}/stress`, {
        attempts: "60",
        concurrency: "4",
      });
      expect(started.status).toBe(303);
      const id = started.headers.get("location")!.split("/").pop()!;
      const events = parseEvents(
        await (await seller.get(`/seller/drops/${drop.slug}/stress/${id}/events`)).text(),
      );
      expect(events.at(-1)!.event).toBe("receipt");

      const row = (await repo.findStressTest(db, id))!;
      const receipt = JSON.parse(row.receiptJson!) as Receipt;
      expect(receipt.breaches, JSON.stringify(receipt.breaches)).toEqual([]);
      expect(receipt.quantity).toBe(10);
      const variants = await repo.listVariants(db, row.rehearsalDropId);
      expect(variants.map((v) => [v.name, v.quantity, v.priceCents])).toEqual([
        ["S", 3, null],
        ["M", 5, null],
        ["L", 2, 4500],
      ]);
      // Every size sold (or, on a hold drop, paid) exactly its own units 1..quantity.
      const { rows } = await db.query<{ position: number; units: number[] }>(
        `SELECT (unit_no - 1) / ${UNITS_PER_VARIANT} AS position,
                array_agg((unit_no - 1) % ${UNITS_PER_VARIANT} + 1 ORDER BY unit_no) AS units
         FROM orders WHERE drop_id = $1::uuid AND (status IS NULL OR status = 'paid')
         GROUP BY 1 ORDER BY 1`,
        [row.rehearsalDropId],
      );
      const expected = SIZES.map((s, position) => ({
        position,
        units: Array.from({ length: s.quantity }, (_, i) => i + 1),
      }));
      if (holdMinutes === 0)
        expect(rows.map((r) => ({ ...r, position: Number(r.position) }))).toEqual(expected);
      else
        for (const r of rows) {
          const size = SIZES[Number(r.position)]!;
          expect(new Set(r.units).size).toBe(r.units.length);
          expect(r.units.every((u) => u >= 1 && u <= size.quantity)).toBe(true);
        }
    });
  });
});
