/**
 * Draw drops and the waitlist through HTTP (issue 17 §2, §3): creating a draw drop and what it needs, entering
 * with a real fan token (codes read from a real SMTP receiver), every status a fan reads, the public record,
 * paying a win with the offer's token, the winner's email, the seller's counts, and the fan page's draw box
 * and "Join the waitlist".
 */
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { verifyDraw } from "../src/domain/fairness";
import { HOUR_MS, isoFromNow } from "./support/clock";
import { TEST_RETRY_POLICY } from "./support/contention";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { createDrop, createSeller, json } from "./support/shop-fixtures";
import { startSmtpReceiver } from "./support/smtp-receiver";

const run = promisify(execFile);

interface Answer {
  drop?: { id: string; slug: string; sale?: string; entriesCloseAt?: string; drawCommitment?: string };
  entry?: { id: string; status: string };
  error?: { code: string; issues?: { path: string }[] };
  status?: string;
  position?: number | null;
  orderId?: string;
  orderToken?: string;
  unitNo?: number;
  seed?: string | null;
  fanToken?: string;
}

describe.each(ALL_BACKENDS)("draw drops and the waitlist over HTTP on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  const it_ = isAvailable(backend) ? it : it.skip;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    smtp = await startSmtpReceiver();
    db = await openTestDatabase(backend);
    app = createApp({
      db,
      retryPolicy: TEST_RETRY_POLICY,
      trustProxy: 1,
      messages: { smtp: { url: smtp.url, from: "shop@example.com" }, tickMs: 100 },
      logError: (e) => console.error(e),
    });
    ({ apiKey } = await createSeller(app));
  }, 120_000);
  afterAll(async () => {
    app?.messages.mailer.close();
    await smtp?.close();
    await db?.close();
  });

  const call = async (path: string, init?: RequestInit) => {
    const res = await app.request(path, init);
    const text = await res.text();
    return { status: res.status, body: (text.startsWith("{") ? JSON.parse(text) : {}) as Answer, text };
  };
  const seller = { authorization: `Bearer ` };
  let clientNo = 0;

  /** A fan token for `email`, through the real code mail. */
  async function verify(email: string): Promise<string> {
    const asked = await app.request(
      "/api/fans/codes",
      json({ email }, { "x-forwarded-for": `198.51.100.${++clientNo}` }),
    );
    expect(asked.status).toBe(202);
    await app.fans.settled();
    await expect.poll(() => smtp.accepted.some((m) => m.to === email), { timeout: 30_000 }).toBe(true);
    const code = /\b(\d{6})\b/.exec(smtp.accepted.filter((m) => m.to === email).at(-1)!.subject)![1]!;
    const session = await call("/api/fans/sessions", json({ email, code }));
    expect(session.status).toBe(201);
    return session.body.fanToken!;
  }

  it_(
    "a verified draw: entries with a token, the record, the winner pays, the other waits then loses",
    async () => {
      seller.authorization = `Bearer ${apiKey}`;
      const base = { title: "Draw API", priceCents: 1000, quantity: 1, sale: "draw" };
      const refused = await call(
        "/api/drops",
        json({ ...base, entriesCloseAt: isoFromNow(HOUR_MS) }, seller),
      );
      expect(refused.status).toBe(400);
      expect(refused.body.error?.issues?.map((i) => i.path).sort()).toEqual(["holdMinutes", "verifiedFans"]);
      const noClose = await call("/api/drops", json({ ...base, holdMinutes: 5, verifiedFans: true }, seller));
      expect(noClose.body.error?.issues?.map((i) => i.path)).toEqual(["entriesCloseAt"]);
      const notDraw = await call(
        "/api/drops",
        json({ title: "x", priceCents: 1, quantity: 1, entriesCloseAt: isoFromNow(HOUR_MS) }, seller),
      );
      expect(notDraw.status).toBe(400);

      const created = await call(
        "/api/drops",
        json({ ...base, holdMinutes: 5, verifiedFans: true, entriesCloseAt: isoFromNow(HOUR_MS) }, seller),
      );
      expect(created.status).toBe(201);
      const drop = created.body.drop!;
      expect(drop.sale).toBe("draw");
      expect(drop.drawCommitment).toMatch(/^[0-9a-f]{64}$/);

      const [ada, bo] = [await verify("ada@fans.test"), await verify("bo@fans.test")];
      const asFan = (token: string) => ({ "fan-token": token });
      const anonymous = await call(`/api/drops/${drop.id}/entries`, json({ fan: "ada@fans.test" }));
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error?.code).toBe("fan_unverified");
      const first = await call(`/api/drops/${drop.id}/entries`, json({}, asFan(ada)));
      expect(first.status).toBe(201);
      expect(first.body.entry?.status).toBe("entered");
      // The token names the fan: a `fan` in the body changes nothing.
      const again = await call(
        `/api/drops/${drop.id}/entries`,
        json({ fan: "someone@else.test" }, asFan(ada)),
      );
      expect(again).toMatchObject({ status: 200, body: { entry: { id: first.body.entry!.id } } });
      expect((await call(`/api/drops/${drop.id}/entries`, json({}, asFan(bo)))).status).toBe(201);
      const me = await call(`/api/drops/${drop.id}/entries/me`, { headers: asFan(ada) });
      expect(me.body).toEqual({ status: "entered" });
      const bought = await call(`/api/drops/${drop.id}/purchase`, json({}, asFan(ada)));
      expect(bought.status).toBe(409);
      expect(bought.body.error?.code).toBe("draw_only");

      // The page: the draw explained, the fan's entry with the cookie, the email step without.
      const page = await call(`/d/${drop.slug}`, { headers: { cookie: `dfl_fan=${ada}` } });
      expect(page.text).toContain("in the draw. Good luck");
      // The fan's own reference, to find in the public record (not ranked before the draw).
      expect(page.text).toContain(`<code class="mono">${first.body.entry!.id}</code>. Find it`);
      // The draw explained in two sentences: how it ranks and can be checked, and what a winner does.
      expect(page.text).toMatch(
        /Enter before <time[^>]*>[^<]+<\/time>\. Then every entry is ranked by a keyed hash of a secret seed we committed to before entries\s+opened, and the seed is published so\s+anyone can check the ranking\. Winners get a unit held for them to pay for; a unit not paid for goes\s+to the next entry in the ranking\./,
      );
      expect(page.text).toContain(`/api/drops/${drop.id}/draw`);
      expect((await call(`/d/${drop.slug}`)).text).toContain("Confirm your email");

      const open = await call(`/api/drops/${drop.id}/draw`);
      expect(open.body).toMatchObject({ status: "open", seed: null });

      await db.query(
        "UPDATE draws SET entries_close_at = now() - interval '1 minute' WHERE drop_id = $1::uuid",
        [drop.id],
      );
      const late = await call(
        `/api/drops/${drop.id}/entries`,
        json({}, asFan(await verify("late@fans.test"))),
      );
      expect(late.status).toBe(409);
      expect(late.body.error?.code).toBe("entries_closed");
      expect((await app.shop.fairness.tick()).drawn).toBe(1);

      const record = await call(`/api/drops/${drop.id}/draw`);
      expect(verifyDraw(record.body as never)).toEqual([]);
      const statuses = {
        ada: (await call(`/api/drops/${drop.id}/entries/me`, { headers: asFan(ada) })).body,
        bo: (await call(`/api/drops/${drop.id}/entries/me`, { headers: asFan(bo) })).body,
      };
      const [winner, loser] =
        statuses.ada.status === "won" ? (["ada", "bo"] as const) : (["bo", "ada"] as const);
      expect(statuses[winner]).toMatchObject({ status: "won", unitNo: 1 });
      expect(statuses[loser]).toEqual({ status: "waiting", position: 1 });
      // The winner is told by email (the hold-won mail, with the pay link).
      await expect
        .poll(
          () => smtp.accepted.some((m) => m.to === `${winner}@fans.test` && /held for you/.test(m.subject)),
          {
            timeout: 30_000,
          },
        )
        .toBe(true);
      const winnerPage = await call(`/d/${drop.slug}`, {
        headers: { cookie: `dfl_fan=${winner === "ada" ? ada : bo}` },
      });
      expect(winnerPage.text).toContain("You won");
      const winnerRef =
        winner === "ada" ? first.body.entry!.id : (record.body as { ranking: string[] }).ranking[0]!;
      expect((record.body as { ranking: string[] }).ranking[0]).toBe(winnerRef);
      expect(winnerPage.text).toContain(`<code class="mono">${winnerRef}</code>, ranked 1.`);

      const paid = await call(
        `/api/orders/${statuses[winner].orderId}/pay`,
        json({ card: "4242424242424242" }, { authorization: `Bearer ${statuses[winner].orderToken}` }),
      );
      expect(paid.status).toBe(200);
      const loserNow = await call(`/api/drops/${drop.id}/entries/me`, {
        headers: asFan(winner === "ada" ? bo : ada),
      });
      expect(loserNow.body).toEqual({ status: "lost" });
      const counts = await call(`/api/drops/${drop.id}/queue`, { headers: seller });
      expect(counts.body).toEqual({ entries: 2, waiting: 1, offered: 1, held: 0, paid: 1, lapsed: 0 });
      const leftovers = await call(`/api/drops/${drop.id}/draw/open-leftovers`, {
        method: "POST",
        headers: seller,
      });
      expect(leftovers.status).toBe(409);
      expect(leftovers.body.error?.code).toBe("draw_state");
      const events = await db.query<{ type: string }>(
        "SELECT type FROM events WHERE drop_id = $1::uuid AND type = 'draw.won'",
        [drop.id],
      );
      expect(events.rows).toHaveLength(1);
    },
    240_000,
  );

  it_(
    "a draw naming a public value freezes and publishes its entry list before that value can be given",
    async () => {
      seller.authorization = `Bearer ${apiKey}`;
      const created = await call(
        "/api/drops",
        json(
          {
            title: "Draw with a public value",
            priceCents: 1000,
            quantity: 1,
            sale: "draw",
            holdMinutes: 5,
            verifiedFans: true,
            entriesCloseAt: isoFromNow(HOUR_MS),
            drawPublicValue: "the next lottery numbers",
          },
          seller,
        ),
      );
      expect(created.status).toBe(201);
      const drop = created.body.drop!;
      // The entry route names the fan from the Fan-Token (the test above); here the domain call it makes.
      const refs: string[] = [];
      for (const fan of ["cy@fans.test", "di@fans.test", "ed@fans.test"])
        refs.push((await app.shop.fairness.enter(drop.id, fan)).entry.id);
      const record = async () =>
        (await call(`/api/drops/${drop.id}/draw`)).body as { status: string; entries: string[]; seed: null };
      const publish = (value: string) =>
        call(`/api/drops/${drop.id}/draw/public-value`, json({ value }, seller));
      const closeAgo = (seconds: number) =>
        db.query(
          "UPDATE draws SET entries_close_at = now() - $2::int * interval '1 second' WHERE drop_id = $1::uuid",
          [drop.id, seconds],
        );

      // Closed a moment ago: a late entry's statement may still commit, so the list is not frozen yet, and
      // a public value given now could be fitted to the entries still to come: refused.
      await closeAgo(1);
      const early = await publish("1 2 3");
      expect(early.status).toBe(409);
      expect(early.body.error?.code).toBe("draw_state");
      expect(await record()).toMatchObject({ status: "closed", entries: [], seed: null });

      // Past the grace: the tick freezes the list and publishes it, although the value is not known yet.
      await closeAgo(60);
      expect((await app.shop.fairness.tick()).drawn).toBe(0);
      const frozen = await record();
      expect(frozen).toMatchObject({ status: "closed", seed: null });
      expect(frozen.entries).toEqual([...refs].sort());

      // The value, given now, ranks exactly the list published before it.
      expect((await publish("7 19 23 31 42")).status).toBe(200);
      expect((await publish("again")).status).toBe(409);
      expect((await app.shop.fairness.tick()).drawn).toBe(1);
      const drawn = (await call(`/api/drops/${drop.id}/draw`)).body as never as {
        entries: string[];
        publicValue: string;
      };
      expect(drawn).toMatchObject({ status: "drawn", publicValue: "7 19 23 31 42" });
      expect(drawn.entries).toEqual(frozen.entries);
      expect(verifyDraw(drawn as never)).toEqual([]);
    },
  );

  // The command a fan runs, as the docs give it, against the record's URL; once (it reads HTTP, not a backend).
  (backend === "pglite" ? it_ : it.skip)(
    "`npm run draw:verify -- <url>` agrees with the served record, and exits 1 on a doctored one, 2 on none",
    async () => {
      seller.authorization = `Bearer ${apiKey}`;
      const created = await call(
        "/api/drops",
        json(
          {
            title: "Draw verified by URL",
            priceCents: 1000,
            quantity: 2,
            sale: "draw",
            holdMinutes: 5,
            verifiedFans: true,
            entriesCloseAt: isoFromNow(HOUR_MS),
          },
          seller,
        ),
      );
      const dropId = created.body.drop!.id;
      for (let i = 0; i < 12; i++) await app.shop.fairness.enter(dropId, `url${i}@fans.test`);
      await db.query(
        "UPDATE draws SET entries_close_at = now() - interval '1 minute' WHERE drop_id = $1::uuid",
        [dropId],
      );
      expect(await app.shop.fairness.runDraw(dropId)).toBe(true);
      const record = (await call(`/api/drops/${dropId}/draw`)).body as { ranking: string[] };
      const doctored = [...record.ranking];
      doctored.push(doctored.shift()!); // the first entry moved to the end

      const listen = (server: ReturnType<typeof createServer>) =>
        new Promise<number>((resolve) =>
          server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
        );
      const shop = await new Promise<{ port: number; close(): void }>((resolve) => {
        const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) =>
          resolve({ port: info.port, close: () => server.close() }),
        );
      });
      const forger = createServer((_, res) =>
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ ...record, ranking: doctored })),
      );
      const forgerPort = await listen(forger);
      const verify = (url: string) =>
        run("npm", ["run", "--silent", "draw:verify", "--", url], { timeout: 120_000 }).then(
          (out) => ({ code: 0, stdout: out.stdout, stderr: out.stderr }),
          (error: { code: number; stdout: string; stderr: string }) => error,
        );
      try {
        const ok = await verify(`http://127.0.0.1:${shop.port}/api/drops/${dropId}/draw`);
        expect(ok.code).toBe(0);
        expect(ok.stdout).toContain("ranking of all 12 entries is the one the formula gives");
        const bad = await verify(`http://127.0.0.1:${forgerPort}/api/drops/${dropId}/draw`);
        expect(bad.code).toBe(1);
        expect(bad.stderr).toContain("the ranking differs from the recomputed one from rank 1 on");
        const none = await verify(`http://127.0.0.1:${shop.port}/api/drops/${crypto.randomUUID()}/draw`);
        expect(none.code).toBe(2);
      } finally {
        shop.close();
        forger.close();
      }
    },
  );

  it_("a sold-out first-come drop's page offers the waitlist, and joining answers the place", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 1, holdMinutes: 5 });
    // Live: no waitlist on the page, only its template for the moment the drop sells out.
    const live = (await call(`/d/${drop.slug}`)).text;
    expect(live).toContain('<div id="queue-slot"></div>');
    expect(live.replace(/<template id="waitlist-template">[\s\S]*?<\/template>/, "")).not.toContain(
      "Join the waitlist",
    );
    expect((await call(`/api/drops/${drop.id}/purchase`, json({ fan: "first@fans.test" }))).status).toBe(201);
    const page = await call(`/d/${drop.slug}`);
    expect(page.text).toMatch(
      /<div id="queue-slot"><section id="queue-box"[^>]*><h2 id="queue-title">Join the waitlist/,
    );
    const joined = await app.request(`/d/${drop.slug}/waitlist`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "hx-request": "true",
        origin: "http://localhost",
      },
      body: "fan=second%40fans.test",
    });
    expect(joined.status).toBe(201);
    expect(await joined.text()).toContain("number 1 in line");
    const api = await call(`/api/drops/${drop.id}/waitlist`, json({ fan: "third@fans.test" }));
    expect(api).toMatchObject({ status: 201, body: { position: 2 } });
    expect((await call(`/api/drops/${drop.id}/waitlist/me?fan=SECOND@fans.test`)).body).toEqual({
      status: "waiting",
      position: 1,
    });
  });
});
