import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { migrate } from "../src/db/migrate";
import { openPglite } from "../src/db/pglite";
import { SignInThrottle } from "../src/domain/sign-in-throttle";
import { TestBrowser } from "./web-seller-browser";

describe("sign-in throttle", () => {
  it("refuses an email after ten failures in the window, until the oldest ages out", () => {
    let now = 0;
    const throttle = new SignInThrottle(10, 60_000, () => now);
    for (let i = 0; i < 9; i++) {
      throttle.failed("a@x.io");
      now += 1000;
    }
    expect(throttle.retryAfterSeconds("a@x.io")).toBe(0);
    throttle.failed("a@x.io");
    expect(throttle.retryAfterSeconds("a@x.io")).toBe(51); // the first failure (t=0) ages out at 60 s
    expect(throttle.retryAfterSeconds("b@x.io")).toBe(0);
    now = 60_001;
    expect(throttle.retryAfterSeconds("a@x.io")).toBe(0);
  });

  it("a right password clears the count", () => {
    const throttle = new SignInThrottle(3, 60_000, () => 0);
    throttle.failed("a@x.io");
    throttle.failed("a@x.io");
    throttle.succeeded("a@x.io");
    throttle.failed("a@x.io");
    throttle.failed("a@x.io");
    expect(throttle.retryAfterSeconds("a@x.io")).toBe(0);
  });
});

describe("sign-in page under password guessing", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  const seller = { name: "Guarded", email: "guarded@example.com", password: "the real password" };

  beforeAll(async () => {
    db = await openPglite("memory");
    await migrate(db);
    app = createApp({ db, logError: () => undefined });
    expect((await new TestBrowser(app).signUp(seller)).status).toBe(303);
  });
  afterAll(() => db.close());

  it("answers 429 with Retry-After after ten wrong passwords, even to the right one", async () => {
    const guesser = new TestBrowser(app);
    for (let i = 0; i < 10; i++)
      expect((await guesser.signIn(seller.email, `guess ${i} wrong`)).status).toBe(401);
    const refused = await guesser.signIn(seller.email, seller.password);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(800);
    expect(await refused.text()).toContain("Too many sign-in attempts. Try again in 15 minute(s).");
    // Other accounts are not affected.
    expect((await new TestBrowser(app).signIn("someone-else@example.com", "whatever it is")).status).toBe(
      401,
    );
  });
});
