import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { loadConfig } from "../src/config";
import type { Database } from "../src/db/database";
import { DEMO_GO_LIVE_DELAY_MS, DEMO_SELLER_EMAIL, describeDemo, seedDemo } from "../src/demo-seed";
import { verifyPassword } from "../src/domain/accounts/secrets";
import * as repo from "../src/repository";
import { fixedClock, testClock } from "./support/clock";
import { openTestDatabase } from "./support/databases";

// The system clock's now, to the minute, read once: a fixed instant that is never far from the database's.
const NOW = Math.floor(testClock() / 60_000) * 60_000;
let db: Database;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  db = await openTestDatabase("pglite");
  // The app's one clock, fixed: the demo drop's go-live is built from it.
  app = createApp({ db, logError: () => undefined, clock: fixedClock(NOW) });
});
afterAll(async () => db?.close());

describe("first-run demo", () => {
  it("seeds a demo seller and a drop going live a minute later on a fresh database, once", async () => {
    const demo = await seedDemo(app.shop);
    expect(demo).toBeDefined();
    expect(demo!.drop.startsAt.getTime()).toBe(NOW + DEMO_GO_LIVE_DELAY_MS);
    expect(demo!.drop.quantity).toBe(100);

    // The printed password signs the seller in; only its hash is stored.
    const credentials = await repo.findSellerCredentials(db, DEMO_SELLER_EMAIL);
    expect(credentials?.seller.id).toBe(demo!.drop.sellerId);
    expect(credentials!.passwordHash).not.toContain(demo!.password);
    expect(await verifyPassword(demo!.password, credentials!.passwordHash)).toBe(true);
    expect(demo!.password).toMatch(/^[A-Za-z0-9_-]{16}$/);

    // Not fresh any more: nothing is seeded again.
    expect(await seedDemo(app.shop)).toBeUndefined();
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM drops");
    expect(rows[0]!.n).toBe(1);

    const fanPage = await app.request(`/d/${demo!.drop.slug}`);
    expect(fanPage.status).toBe(200);
  });

  it("prints the fan page, the dashboard and the sign-in", () => {
    const text = describeDemo(
      {
        drop: { slug: "midnight-hoodie-abc123" } as never,
        email: DEMO_SELLER_EMAIL,
        password: "p4ssw0rd-p4ssw0rd",
      },
      "http://127.0.0.1:3000/",
    );
    expect(text).toContain("  Fan page:   http://127.0.0.1:3000/d/midnight-hoodie-abc123\n");
    expect(text).toContain("  Dashboard:  http://127.0.0.1:3000/seller/drops/midnight-hoodie-abc123\n");
    expect(text).toContain(`  Sign in as: ${DEMO_SELLER_EMAIL}\n`);
    expect(text).toContain("  Password:   p4ssw0rd-p4ssw0rd   (shown only this once)\n");
  });

  it("is only wanted on the embedded database", () => {
    expect(loadConfig({}).seedDemo).toBe(true);
    expect(loadConfig({ SEED_DEMO: "never" }).seedDemo).toBe(false);
    expect(loadConfig({ DATABASE_URL: "postgres://127.0.0.1/test" }).seedDemo).toBe(false);
    expect(loadConfig({ DSQL_ENDPOINT: "abc.dsql.us-east-1.on.aws", AWS_REGION: "us-east-1" }).seedDemo).toBe(
      false,
    );
  });
});
