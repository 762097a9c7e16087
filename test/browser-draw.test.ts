/**
 * Every state of a draw drop in a real Chromium at a phone's 360 px and a desktop's 1280 px, each checked
 * with axe-core at zero violations (issue 18 §5) and saved under test-results/browser-draw/ for review: the
 * fan page before entries open (the commitment, the "get ready" email step), entries open (not verified,
 * verified, entered), closed awaiting the draw, drawn (won with its pay-by time, waiting with a position,
 * lost, paid), the public draw record the page links to, and the seller's draw card. State moves through the
 * API and the database's own clock (the close moved into the past, as test/fairness-draw-api.test.ts does),
 * never a sleep; fans verify through the code step with codes from the dev mailbox.
 */
import { randomUUID } from "node:crypto";
import type { BrowserContext } from "playwright-core";
import { describe, expect, it } from "vitest";
import * as repo from "../src/repository";
import { axeViolations } from "./support/axe";
import { browserSite } from "./support/chromium";
import { DAY_MS, HOUR_MS, isoFromNow } from "./support/clock";
import { json } from "./support/shop-fixtures";

const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };
const PASSWORD = "correct horse battery";

/** The fields of the API's answers this test reads. */
interface Answer {
  apiKey?: string;
  drop?: { id: string; slug: string };
  fanToken?: string;
  status?: string;
  orderId?: string;
  orderToken?: string;
}

describe("draw drops in Chromium", () => {
  // A draw rehearsal's holds of 2 s, so its offers walk down the ranking within the test.
  const site = browserSite("pglite", "test-results/browser-draw", { rehearsalHoldSeconds: 2 });
  const it_ = site.run ? it : it.skip;

  const call = async (path: string, init?: RequestInit) => {
    const res = await site.app.request(path, init);
    const text = await res.text();
    return {
      status: res.status,
      body: (text.startsWith("{") ? JSON.parse(text) : {}) as Answer,
    };
  };

  let clientNo = 0;
  /** A fan token for `email`, through the code step, the code read from the dev mailbox. */
  async function verify(email: string): Promise<string> {
    const asked = await site.app.request(
      "/api/fans/codes",
      json({ email }, { "x-forwarded-for": `198.51.100.${++clientNo}` }),
    );
    expect(asked.status).toBe(202);
    await site.app.fans.settled();
    const mail = (await repo.listMailbox(site.app.shop.db, 100)).find((m) => m.recipient === email)!;
    const code = /\b(\d{6})\b/.exec(mail.subject)![1]!;
    const session = await call("/api/fans/sessions", json({ email, code }));
    expect(session.status).toBe(201);
    return session.body.fanToken!;
  }

  /** Opens `path` at both sizes (as `fan` when given), saves it, and answers axe's violations of each. */
  async function checkBothSizes(path: string, name: string, fan?: string, context?: BrowserContext) {
    for (const [size, viewport] of [
      ["360", PHONE],
      ["1280", DESKTOP],
    ] as const) {
      const own = context ?? (await site.browser.newContext({ viewport, timezoneId: "UTC" }));
      if (fan) {
        await own.addCookies([{ name: "dfl_fan", value: fan, url: site.baseUrl }]);
      }
      const page = await own.newPage();
      await page.setViewportSize(viewport);
      const blocked: string[] = [];
      page.on("console", (message) => {
        if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
      });
      await page.goto(`${site.baseUrl}${path}`);
      await site.shot(page, `${name}-${size}`);
      expect(await axeViolations(page), `${name} at ${size} px`).toEqual([]);
      expect(blocked, `CSP violations on ${name}`).toEqual([]);
      const text = (await page.locator("main").textContent()) ?? "";
      await page.close();
      if (!context) await own.close();
      if (size === "1280") return text;
    }
    return "";
  }

  const closeEntries = (dropId: string, ago: string) =>
    site.app.shop.db.query(
      `UPDATE draws SET entries_close_at = now() - interval '${ago}' WHERE drop_id = $1::uuid`,
      [dropId],
    );

  it_(
    "every draw state of the fan page, the public record and the seller's card: 0 axe violations",
    async () => {
      const email = `draw-seller-${randomUUID()}@example.com`;
      const made = await call("/api/sellers", json({ email, password: PASSWORD, name: "Dana" }));
      const seller = { authorization: `Bearer ${made.body.apiKey}` };
      const newDraw = async (title: string, quantity: number, startsAt?: string) => {
        const created = await call(
          "/api/drops",
          json(
            {
              title,
              priceCents: 4500,
              quantity,
              maxPerFan: 1,
              holdMinutes: 10,
              verifiedFans: true,
              sale: "draw",
              ...(startsAt ? { startsAt } : {}),
              entriesCloseAt: isoFromNow(startsAt ? 2 * DAY_MS : HOUR_MS),
            },
            seller,
          ),
        );
        expect(created.status).toBe(201);
        return created.body.drop!;
      };
      const [ada, bo, cy] = [
        await verify("ada@fans.test"),
        await verify("bo@fans.test"),
        await verify("cy@fans.test"),
      ];
      const asFan = (token: string) => ({ "fan-token": token });

      // Before entries open: the commitment is shown, and the email step says "get ready".
      const upcoming = await newDraw("Upcoming draw", 2, isoFromNow(DAY_MS));
      const before = await checkBothSizes(`/d/${upcoming.slug}`, "before-open");
      expect(before).toContain("Get ready: confirm your email");
      expect(before).toContain("Commitment");
      expect(before).toContain("Entries are not open now");

      // Entries open: not verified, verified, entered.
      const open = await newDraw("Open draw", 1);
      expect(await checkBothSizes(`/d/${open.slug}`, "open-unverified")).toContain("Confirm your email");
      // A fan confirms their email on the draw page itself (the email step is there) and may then enter.
      const fanContext = await site.browser.newContext({ viewport: PHONE, timezoneId: "UTC" });
      const fanPage = await fanContext.newPage();
      await fanPage.goto(`${site.baseUrl}/d/${open.slug}`);
      await fanPage.fill("#verify-email", "dee@fans.test");
      await fanPage.click("#verify-button");
      await fanPage.waitForSelector('[data-step="code"]', { timeout: 30_000 });
      await site.app.fans.settled();
      const mail = (await repo.listMailbox(site.app.shop.db, 100)).find(
        (m) => m.recipient === "dee@fans.test",
      )!;
      await fanPage.fill("#verify-code", /\b(\d{6})\b/.exec(mail.subject)![1]!);
      await fanPage.click("#verify-button");
      const enter = fanPage.locator("#queue-box button[type=submit]");
      await enter.waitFor({ timeout: 30_000 });
      expect(await axeViolations(fanPage)).toEqual([]);
      await site.shot(fanPage, "open-verified-through-page-360");
      await fanContext.close();
      expect(await checkBothSizes(`/d/${open.slug}`, "open-verified", ada)).toContain("Enter the draw");
      for (const token of [ada, bo, cy]) {
        expect((await call(`/api/drops/${open.id}/entries`, json({}, asFan(token)))).status).toBe(201);
      }
      expect(await checkBothSizes(`/d/${open.slug}`, "open-entered", ada)).toContain(
        "in the draw. Good luck",
      );

      // Closed, awaiting the draw (inside the grace after the close, so not drawn yet).
      await closeEntries(open.id, "1 second");
      const awaiting = await checkBothSizes(`/d/${open.slug}`, "closed-awaiting", ada);
      expect(awaiting).toContain("in the draw. Good luck");
      expect(await checkBothSizes(`/d/${open.slug}`, "closed-anonymous")).toContain(
        "Entries are not open now",
      );

      // Drawn: one unit, three entries: the winner holds it (pay within…), the others wait in line.
      await closeEntries(open.id, "1 minute");
      expect((await site.app.shop.fairness.tick()).drawn).toBe(1);
      const statuses = await Promise.all(
        [ada, bo, cy].map(async (token) => ({
          token,
          status: (await call(`/api/drops/${open.id}/entries/me`, { headers: asFan(token) })).body,
        })),
      );
      const winner = statuses.find((s) => s.status.status === "won")!;
      const waiting = statuses.find((s) => s.status.status === "waiting")!;
      expect(await checkBothSizes(`/d/${open.slug}`, "drawn-won", winner.token)).toContain("You won");
      expect(await checkBothSizes(`/d/${open.slug}`, "drawn-waiting", waiting.token)).toMatch(
        /number \d in line/,
      );
      expect(await checkBothSizes(`/d/${open.slug}`, "drawn-anonymous")).toContain("The draw has run");

      // The winner pays: paid for them, lost for everyone else.
      const paid = await call(
        `/api/orders/${winner.status.orderId}/pay`,
        json({ card: "4242424242424242" }, { authorization: `Bearer ${winner.status.orderToken}` }),
      );
      expect(paid.status).toBe(200);
      await checkBothSizes(`/d/${open.slug}`, "drawn-paid", winner.token);
      expect(await checkBothSizes(`/d/${open.slug}`, "drawn-lost", waiting.token)).toContain(
        "Not drawn this time",
      );

      // The public record the page links to answers for anyone, and checks out.
      const context = await site.browser.newContext({ viewport: DESKTOP, timezoneId: "UTC" });
      const page = await context.newPage();
      await page.goto(`${site.baseUrl}/d/${open.slug}`);
      const link = page.getByRole("link", { name: "the public draw record" });
      expect(await link.getAttribute("href")).toBe(`/api/drops/${open.id}/draw`);
      const record = await (await fetch(`${site.baseUrl}/api/drops/${open.id}/draw`)).json();
      expect(record).toMatchObject({ status: "drawn", entries: expect.any(Array) });
      await context.close();

      // The seller's dashboard of the draw drop: its draw card, signed in through the real form.
      const sellerContext = await site.browser.newContext({ viewport: DESKTOP, timezoneId: "UTC" });
      const signIn = await sellerContext.newPage();
      await signIn.goto(`${site.baseUrl}/seller/sign-in`);
      await signIn.locator("#sign-in-form input[name=email]").fill(email);
      await signIn.locator("#sign-in-form input[name=password]").fill(PASSWORD);
      await signIn.locator("#sign-in-form button[type=submit]").click();
      await signIn.waitForURL(/\/seller\/?/);
      await signIn.close();
      for (const drop of [upcoming, open]) {
        const card = await checkBothSizes(
          `/seller/drops/${drop.slug}`,
          `seller-${drop.slug.slice(0, 8)}`,
          undefined,
          sellerContext,
        );
        expect(card).toContain("Draw");
      }
      // The card's two actions: a named public value to give once the list froze, and leftovers to sell.
      const valued = await call(
        "/api/drops",
        json(
          {
            title: "Valued draw",
            priceCents: 4500,
            quantity: 2,
            holdMinutes: 10,
            verifiedFans: true,
            sale: "draw",
            entriesCloseAt: isoFromNow(HOUR_MS),
            drawPublicValue: "the next day's lottery",
          },
          seller,
        ),
      );
      const leftovers = await newDraw("Unentered draw", 2);
      for (const drop of [valued.body.drop!, leftovers]) await closeEntries(drop.id, "1 minute");
      await site.app.shop.fairness.tick();
      expect(
        await checkBothSizes(
          `/seller/drops/${valued.body.drop!.slug}`,
          "seller-value-due",
          undefined,
          sellerContext,
        ),
      ).toContain("Publish the value and run the draw");
      expect(
        await checkBothSizes(`/seller/drops/${leftovers.slug}`, "seller-leftovers", undefined, sellerContext),
      ).toContain("Sell the leftovers first-come");
      await sellerContext.close();
    },
    300_000,
  );
  it_(
    "a draw drop's Stress Test in Chromium: the draw's step while it runs, the Draw receipt, 0 axe violations",
    async () => {
      const email = `draw-stress-${randomUUID()}@example.com`;
      const made = await call("/api/sellers", json({ email, password: PASSWORD, name: "Rhea" }));
      const created = await call(
        "/api/drops",
        json(
          {
            title: "Rehearsed draw",
            priceCents: 4500,
            quantity: 3,
            maxPerFan: 1,
            holdMinutes: 10,
            verifiedFans: true,
            sale: "draw",
            startsAt: isoFromNow(DAY_MS),
            entriesCloseAt: isoFromNow(2 * DAY_MS),
          },
          { authorization: `Bearer ${made.body.apiKey}` },
        ),
      );
      const slug = created.body.drop!.slug;
      for (const [size, viewport] of [
        ["360", PHONE],
        ["1280", DESKTOP],
      ] as const) {
        const context = await site.browser.newContext({ viewport, timezoneId: "UTC" });
        const page = await context.newPage();
        await page.goto(`${site.baseUrl}/seller/sign-in`);
        await page.locator("#sign-in-form input[name=email]").fill(email);
        await page.locator("#sign-in-form input[name=password]").fill(PASSWORD);
        await page.locator("#sign-in-form button[type=submit]").click();
        await page.waitForURL(/\/seller\/?/);
        await page.goto(`${site.baseUrl}/seller/drops/${slug}`);
        const card = page.locator("#stress-test");
        await card.getByLabel("Purchase attempts").fill("9");
        await card.getByLabel("At the same time").fill("3");
        await card.getByRole("button", { name: "Start Stress Test" }).click();
        await page.waitForURL(new RegExp(`/seller/drops/${slug}/stress/[0-9a-f-]{36}$`));
        // While it runs the page shows the draw's step; axe on the running page.
        await page.locator("#draw-progress").waitFor({ timeout: 30_000 });
        expect(await axeViolations(page), `running draw rehearsal at ${size} px`).toEqual([]);
        await page.locator("#receipt-draw").waitFor({ timeout: 120_000 });
        await site.shot(page, `stress-receipt-${size}`);
        expect(await page.locator("#stress-verdict").textContent()).toBe("PASS");
        expect(await page.locator("#receipt-draw-entries").textContent()).toBe("9");
        expect(await axeViolations(page), `draw rehearsal receipt at ${size} px`).toEqual([]);
        await context.close();
      }
    },
    300_000,
  );
});
