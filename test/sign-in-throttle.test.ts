import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { migrate } from "../src/db/migrate";
import { openPglite } from "../src/db/pglite";
import { TestBrowser } from "./web-seller-browser";

/** The sign-in page under password guessing (the throttle itself: test/abuse-sign-in.test.ts). */
describe("sign-in page under password guessing", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  const seller = { name: "Guarded", email: "guarded@example.com", password: "the real password" };

  beforeAll(async () => {
    db = await openPglite("memory");
    await migrate(db);
    // Behind one trusted proxy, so each browser below can come from its own address.
    app = createApp({ db, logError: () => undefined, trustProxy: 1 });
    expect((await new TestBrowser(app).signUp(seller)).status).toBe(303);
  });
  afterAll(() => db.close());

  const signIn = async (browser: TestBrowser, address: string, password: string) =>
    browser.post(
      "/seller/sign-in",
      { csrf: await browser.csrfFrom("/seller/sign-in"), email: seller.email, password },
      { "x-forwarded-for": address },
    );

  it("answers 429 with Retry-After to a guessing client, even with the right password", async () => {
    const guesser = new TestBrowser(app);
    for (let i = 0; i < 5; i++)
      expect((await signIn(guesser, "203.0.113.5", `guess ${i} wrong`)).status).toBe(401);
    const refused = await signIn(guesser, "203.0.113.5", seller.password);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await refused.text()).toContain("Too many sign-in attempts.");
  });

  it("lets the seller in from another address meanwhile (no lockout anyone can trigger)", async () => {
    const res = await signIn(new TestBrowser(app), "198.51.100.20", seller.password);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/seller/drops");
  });
});
