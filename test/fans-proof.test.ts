/**
 * Issue 17 §6, first bullet: 2,000 verified fans against 100 units on a verified first-come drop, on PGlite
 * and PostgreSQL at READ COMMITTED and REPEATABLE READ. Every fan verifies through the real endpoints (codes
 * read from what the mailer was handed), then all buy at once — each twice, with a made-up handle in the
 * body — while unverified buyers try too. Exactly 100 sell, no address twice, the handles change nothing,
 * every unverified purchase is 401.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import type { Mailer, OutgoingMail } from "../src/domain/messages/mailer";
import { identityKey } from "../src/domain/purchase/fan-identity";
import { race, TEST_RETRY_POLICY, tally } from "./support/contention";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { audit, createDrop, createSeller, json } from "./support/shop-fixtures";

const FANS = 2000;
const UNITS = 100;

/** The mailer the app sends through, keeping each code email in memory (the SMTP path has its own tests). */
function memoryMailer(): Mailer & { codes: Map<string, string> } {
  const codes = new Map<string, string>();
  return {
    mode: "smtp",
    codes,
    async send(mail: OutgoingMail) {
      const code = /\b(\d{6})\b/.exec(mail.subject)?.[1];
      if (code) codes.set(mail.to, code);
    },
    close: () => undefined,
  };
}

describe.each(ALL_BACKENDS)("2,000 verified fans, 100 units, on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;
  const mailer = memoryMailer();

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    app = createApp({
      db,
      retryPolicy: TEST_RETRY_POLICY,
      trustProxy: 1,
      messages: { mailer },
      logError: (e) => console.error(e),
    });
    ({ apiKey } = await createSeller(app));
  }, 120_000);
  afterAll(async () => db?.close());

  /** One client address per fan (10.x.y.z), as 2,000 phones would be. */
  const client = (i: number) => ({ "x-forwarded-for": `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` });

  it.skipIf(!isAvailable(backend))(
    "exactly 100 sold, no address twice, handles change nothing, unverified buys 401",
    async () => {
      const emails = Array.from({ length: FANS }, (_, i) => `fan${i}@verified.test`);
      // Verify every fan through the endpoints, a few hundred at a time.
      const tokens: string[] = [];
      for (let start = 0; start < FANS; start += 250) {
        const slice = emails.slice(start, start + 250);
        const asked = await Promise.all(
          slice.map((email, j) => app.request("/api/fans/codes", json({ email }, client(start + j)))),
        );
        expect(asked.map((r) => r.status)).toEqual(slice.map(() => 202));
        await app.fans.settled();
        const sessions = await Promise.all(
          slice.map(async (email) => {
            const res = await app.request(
              "/api/fans/sessions",
              json({ email, code: mailer.codes.get(email) }),
            );
            expect(res.status).toBe(201);
            return ((await res.json()) as { fanToken: string }).fanToken;
          }),
        );
        tokens.push(...sessions);
      }

      const drop = await createDrop(app, apiKey, { quantity: UNITS, verifiedFans: true, maxPerFan: 1 });
      const purchase = async (headers: Record<string, string>, fan: string | undefined) => {
        const body = { ...(fan === undefined ? {} : { fan }), idempotencyKey: randomUUID() };
        const res = await app.request(`/api/drops/${drop.id}/purchase`, json(body, headers));
        return {
          status: res.status,
          body: (await res.json()) as { order?: { fan: string; unitNo: number }; error?: { code: string } },
        };
      };
      // Each fan twice (a second key, another handle), and 300 buyers with no token, all at once.
      const answers = await race(FANS * 2 + 300, (i) => {
        if (i >= FANS * 2) return purchase({}, `scripted-${i}`).then((a) => ({ ...a, unverified: true }));
        const headers = { "fan-token": tokens[i % FANS]! };
        const handle = i % 3 === 0 ? undefined : `handle-${i}`;
        return purchase(headers, handle).then((a) => ({ ...a, unverified: false }));
      });

      const verified = answers.filter((a) => !a.unverified);
      const unverified = answers.filter((a) => a.unverified);
      expect(tally(unverified)).toEqual({ "401 fan_unverified": 300 });
      const counts = tally(verified);
      expect(counts["201 order"]).toBe(UNITS);
      // Everyone else: sold out, or (a fan's second try that came after their first won) their limit.
      expect(Object.keys(counts).sort()).toEqual(
        ["201 order", "409 sold_out", ...(counts["409 limit_reached"] ? ["409 limit_reached"] : [])].sort(),
      );

      const { rows } = await db.query<{ fan: string; fan_shown: string; unit_no: number }>(
        "SELECT fan, fan_shown, unit_no FROM orders WHERE drop_id = $1::uuid ORDER BY unit_no",
        [drop.id],
      );
      expect(rows).toHaveLength(UNITS);
      expect(rows.map((r) => r.unit_no)).toEqual(Array.from({ length: UNITS }, (_, i) => i + 1));
      expect(new Set(rows.map((r) => r.fan)).size).toBe(UNITS);
      const known = new Set(emails);
      for (const row of rows) {
        expect(known.has(row.fan_shown)).toBe(true); // a verified address, never a handle from the body
        expect(row.fan).toBe(identityKey(row.fan_shown)); // the per-fan key of that address
      }
      expect((await audit(app, drop.id, apiKey)).body).toMatchObject({
        sold: UNITS,
        oversold: 0,
        duplicateUnits: 0,
      });
    },
    600_000,
  );
});
