/**
 * Verified fans (issue 17 §1): the code and session endpoints and every error they give, with codes read
 * from a real SMTP receiver (smtp-server + mailparser), expiry through the injected clock, and purchases on
 * a verified-fans drop (instant and hold) with and without a fan token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { CODE_MAX_TRIES, SENDS_PER_ADDRESS, SENDS_PER_CLIENT } from "../src/domain/fairness";
import { MINUTE_MS, testClock } from "./support/clock";
import { TEST_RETRY_POLICY } from "./support/contention";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { createDrop, createSeller, json } from "./support/shop-fixtures";
import { startSmtpReceiver } from "./support/smtp-receiver";

type App = ReturnType<typeof createApp>;

describe.each(ALL_BACKENDS)("verified fans on %s", (backend) => {
  let db: Database;
  let app: App;
  let apiKey: string;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  /** The app's clock: tests move it forward to expire codes. */
  let offsetMs = 0;
  const clock = () => testClock() + offsetMs;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    smtp = await startSmtpReceiver();
    db = await openTestDatabase(backend);
    app = createApp({
      db,
      clock,
      retryPolicy: TEST_RETRY_POLICY,
      trustProxy: 1,
      messages: { smtp: { url: smtp.url, from: "shop@example.com" } },
      logError: (e) => console.error(e),
    });
    ({ apiKey } = await createSeller(app));
  }, 120_000);

  afterAll(async () => {
    app?.messages.mailer.close();
    await smtp?.close();
    await db?.close();
  });

  let clientNo = 0;
  /** A fresh client address per call unless given: the per-client limit stays out of the way. */
  const from = (client = `198.51.100.${++clientNo % 250}`) => ({ "x-forwarded-for": client });

  async function askCode(email: string, client?: string) {
    const res = await app.request("/api/fans/codes", json({ email }, from(client)));
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, res };
  }

  /** The newest code mailed to `email`, once the SMTP receiver has it. */
  async function codeFor(email: string, after = 0): Promise<string> {
    await app.fans.settled();
    await expect
      .poll(() => smtp.accepted.filter((m) => m.to === email).length, { timeout: 30_000 })
      .toBeGreaterThan(after);
    const mail = smtp.accepted.filter((m) => m.to === email).at(-1)!;
    return /\b(\d{6})\b/.exec(mail.subject)![1]!;
  }

  async function session(email: string, code: string) {
    const res = await app.request("/api/fans/sessions", json({ email, code }));
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function verify(email: string): Promise<string> {
    const sent = smtp.accepted.filter((m) => m.to === email).length;
    expect((await askCode(email)).status).toBe(202);
    const { status, body } = await session(email, await codeFor(email, sent));
    expect(status).toBe(201);
    return body.fanToken as string;
  }

  async function buy(slug: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    const res = await app.request(`/api/drops/${slug}/purchase`, json(body, headers));
    // biome-ignore lint/suspicious/noExplicitAny: the answer's shape is what the assertions check
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  it.skipIf(!isAvailable(backend))("mails a code and trades it for a 30-day token", async () => {
    const { status, body } = await askCode("ada@example.com");
    expect(status).toBe(202);
    expect(Date.parse(body.expiresAt as string) - clock()).toBeGreaterThan(9 * MINUTE_MS);
    const code = await codeFor("ada@example.com");
    const mail = smtp.accepted.find((m) => m.to === "ada@example.com")!;
    expect(mail.text).toContain(code);
    // Only a hash is stored.
    const { rows } = await db.query<{ code_hash: string }>("SELECT code_hash FROM fan_codes");
    expect(rows.some((r) => r.code_hash.includes(code))).toBe(false);
    const started = await session("ADA@example.com", code);
    expect(started.status).toBe(201);
    expect(started.body.email).toBe("ada@example.com");
    expect(Date.parse(started.body.expiresAt as string) - clock()).toBeGreaterThan(29 * 24 * 60 * MINUTE_MS);
    // A code works once.
    expect((await session("ada@example.com", code)).body).toMatchObject({ error: { code: "code_expired" } });
  });

  it.skipIf(!isAvailable(backend))("answers an unknown address exactly as a known one", async () => {
    const known = await askCode("ada@example.com");
    const unknown = await askCode(`nobody-${clientNo}@example.com`);
    expect(unknown.status).toBe(known.status);
    expect(Object.keys(unknown.body)).toEqual(Object.keys(known.body));
  });

  it.skipIf(!isAvailable(backend))(
    "refuses a wrong code (code_invalid) and kills it after five",
    async () => {
      const email = "wrong@example.com";
      await askCode(email);
      const code = await codeFor(email);
      const wrong = code === "000000" ? "111111" : "000000";
      for (let i = 1; i < CODE_MAX_TRIES; i++) {
        const { status, body } = await session(email, wrong);
        expect(status).toBe(422);
        expect(body).toMatchObject({ error: { code: "code_invalid", triesLeft: CODE_MAX_TRIES - i } });
      }
      expect(await session(email, wrong)).toMatchObject({
        status: 422,
        body: { error: { code: "code_expired" } },
      });
      // The right code is dead too now.
      expect(await session(email, code)).toMatchObject({
        status: 422,
        body: { error: { code: "code_expired" } },
      });
    },
  );

  it.skipIf(!isAvailable(backend))("expires a code after 10 minutes on the injected clock", async () => {
    const email = "late@example.com";
    await askCode(email);
    const code = await codeFor(email);
    offsetMs += 10 * MINUTE_MS + 1000;
    try {
      expect(await session(email, code)).toMatchObject({
        status: 422,
        body: { error: { code: "code_expired" } },
      });
    } finally {
      offsetMs -= 10 * MINUTE_MS + 1000;
    }
    // Never sent at all: expired too, never a 404 that tells addresses apart.
    expect(await session("never@example.com", "123456")).toMatchObject({ status: 422 });
  });

  it.skipIf(!isAvailable(backend))(
    "limits codes per address and per client address (429 + Retry-After)",
    async () => {
      offsetMs += 60 * MINUTE_MS; // a window of its own
      try {
        await limits();
      } finally {
        offsetMs -= 60 * MINUTE_MS;
      }
    },
    120_000,
  );

  async function limits() {
    const email = "limited@example.com";
    for (let i = 0; i < SENDS_PER_ADDRESS; i++) expect((await askCode(email)).status).toBe(202);
    const refused = await askCode(email);
    expect(refused.status).toBe(429);
    expect(Number(refused.res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.body).toMatchObject({ error: { code: "rate_limited" } });

    const client = "203.0.113.77";
    for (let i = 0; i < SENDS_PER_CLIENT; i++)
      expect((await askCode(`c${i}-${offsetMs}@example.com`, client)).status).toBe(202);
    const byClient = await askCode("one-more@example.com", client);
    expect(byClient.status).toBe(429);
    expect(Number(byClient.res.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another client is not held back.
    expect((await askCode("one-more@example.com")).status).toBe(202);
  }

  it.skipIf(!isAvailable(backend))("refuses bad input with 400 and writes nothing", async () => {
    for (const body of [{}, { email: "not-an-email" }, { email: "a\u0000b@example.com" }]) {
      const res = await app.request("/api/fans/codes", json(body, from()));
      expect(res.status).toBe(400);
    }
    for (const body of [{ email: "ada@example.com" }, { email: "ada@example.com", code: "12345" }]) {
      const res = await app.request("/api/fans/sessions", json(body));
      expect(res.status).toBe(400);
    }
  });

  it.skipIf(!isAvailable(backend))(
    "a verified-fans drop sells only with a token, to its address",
    async () => {
      const drop = await createDrop(app, apiKey, { quantity: 5, verifiedFans: true, maxPerFan: 1 });
      expect(drop).toMatchObject({ verifiedFans: true });
      const token = await verify("grace@example.com");
      // Without a token, or with a forged one: 401 fan_unverified.
      expect(await buy(drop.slug, { fan: "grace@example.com" })).toMatchObject({
        status: 401,
        body: { error: { code: "fan_unverified" } },
      });
      expect(await buy(drop.slug, {}, { "fan-token": `${token.slice(0, -2)}xx` })).toMatchObject({
        status: 401,
      });
      // With it: the fan is the verified address, whatever the body says.
      const bought = await buy(drop.slug, { fan: "someone-else" }, { "fan-token": token });
      expect(bought.status).toBe(201);
      expect(bought.body.order.fan).toBe("grace@example.com");
      // The per-fan limit holds on that address, whatever handle comes in the body.
      expect(await buy(drop.slug, { fan: "grace2" }, { "fan-token": token })).toMatchObject({
        status: 409,
        body: { error: { code: "limit_reached" } },
      });
      // An expired token is no token (the injected clock, 31 days on).
      offsetMs += 31 * 24 * 60 * MINUTE_MS;
      try {
        expect(await buy(drop.slug, {}, { "fan-token": token })).toMatchObject({ status: 401 });
      } finally {
        offsetMs -= 31 * 24 * 60 * MINUTE_MS;
      }
      // An open drop is unchanged: the fan in the body, no token needed.
      const open = await createDrop(app, apiKey, { quantity: 2 });
      expect(open).not.toHaveProperty("verifiedFans");
      expect((await buy(open.slug, { fan: "anyone" })).status).toBe(201);
    },
  );

  it.skipIf(!isAvailable(backend))("a verified hold drop needs the token too", async () => {
    const drop = await createDrop(app, apiKey, { quantity: 3, verifiedFans: true, holdMinutes: 5 });
    expect(await buy(drop.slug, { fan: "x" })).toMatchObject({ status: 401 });
    const token = await verify("hold@example.com");
    const held = await buy(drop.slug, {}, { "fan-token": token });
    expect(held.status).toBe(201);
    expect(held.body.order).toMatchObject({ status: "held", fan: "hold@example.com" });
  });

  it.skipIf(!isAvailable(backend))("the flag is set before go-live and fixed once live", async () => {
    const upcoming = await createDrop(app, apiKey, {
      startsAt: new Date(clock() + 60 * MINUTE_MS).toISOString(),
    });
    const auth = { authorization: `Bearer ${apiKey}` };
    const patch = (slug: string, body: unknown) =>
      app.request(`/api/drops/${slug}`, { ...json(body, auth), method: "PATCH" });
    const on = await patch(upcoming.slug, { verifiedFans: true });
    expect(on.status).toBe(200);
    expect(((await on.json()) as { drop: unknown }).drop).toMatchObject({ verifiedFans: true });
    const live = await createDrop(app, apiKey, {});
    const refused = await patch(live.slug, { verifiedFans: true });
    expect(refused.status).toBe(409);
    expect((await patch(live.slug, { verifiedFans: "yes" })).status).toBe(400);
  });
});
