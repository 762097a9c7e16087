import { randomBytes } from "node:crypto";
import type { Shop } from "./domain/shop";
import type { Drop } from "./domain/types";
import * as repo from "./repository";

/** What the first run made, printed once so a newcomer can open both sides of a drop at once. */
export interface DemoSeed {
  drop: Drop;
  email: string;
  /** Random and shown only in this printout; only its hash is stored. */
  password: string;
}

export const DEMO_SELLER_EMAIL = "demo@dropfront.test";
/** The command that gives the demo seller a new password: its first one is printed only once. */
export const RESET_DEMO = `npm run seller:reset -- ${DEMO_SELLER_EMAIL}`;

/** Long enough to open the fan page first and watch the countdown reach zero. */
export const DEMO_GO_LIVE_DELAY_MS = 60_000;

/**
 * On a fresh database (no sellers yet), makes a demo seller and a demo drop that goes live a minute from
 * now; on any other database does nothing and returns undefined. The caller decides whether seeding is
 * wanted at all (config.seedDemo: only the embedded database, never PostgreSQL or DSQL).
 * @example const demo = await seedDemo(app.shop); if (demo) console.log(describeDemo(demo, baseUrl));
 */
export async function seedDemo(shop: Shop): Promise<DemoSeed | undefined> {
  if (await repo.anySellerExists(shop.db)) return undefined;
  const password = randomBytes(12).toString("base64url");
  const { seller } = await shop.createSeller({ email: DEMO_SELLER_EMAIL, name: "Demo Seller", password });
  const drop = await shop.createDrop(seller, {
    title: "Midnight Hoodie — demo drop",
    description:
      "Heavyweight cotton, one run only. This is a demo drop made on first start: open it in a few tabs and watch the counter.",
    priceCents: 4900,
    currency: "USD",
    quantity: 100,
    startsAt: new Date(shop.clock() + DEMO_GO_LIVE_DELAY_MS),
    maxPerFan: 2,
  });
  return { drop, email: DEMO_SELLER_EMAIL, password };
}

/** The lines printed at start-up: where fans buy, where the seller watches, and how the seller signs in. */
export function describeDemo(demo: DemoSeed, baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, "");
  return [
    "",
    "Demo drop created on this fresh database (goes live one minute after start):",
    `  Fan page:   ${base}/d/${demo.drop.slug}`,
    `  Dashboard:  ${base}/seller/drops/${demo.drop.slug}`,
    `  Sign in as: ${demo.email}`,
    `  Password:   ${demo.password}   (shown only this once)`,
    `  Lost it?    stop the server, then: ${RESET_DEMO}`,
    "",
  ].join("\n");
}

/**
 * The start-up line that says how to sign in, at every start: where sellers sign up or in, and, while the
 * demo seller exists, its email and how to get a new password (stop the server, then RESET_DEMO).
 * @example log.info(await signInHint(app.shop, "http://127.0.0.1:3000"))
 */
export async function signInHint(shop: Shop, baseUrl: string): Promise<string> {
  const base = baseUrl.replace(/\/+$/, "");
  if (!(await repo.findSellerCredentials(shop.db, DEMO_SELLER_EMAIL))) {
    return `Sellers sign up or sign in at ${base}/`;
  }
  return `Sign in at ${base}/seller/sign-in as ${DEMO_SELLER_EMAIL}; password lost? stop the server and run: ${RESET_DEMO}`;
}
