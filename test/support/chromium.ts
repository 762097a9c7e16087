import { existsSync, mkdirSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import type { AppDeps } from "../../src/app";
import type { Database } from "../../src/db/database";
import { type LocalServer, startLocalServer } from "../../src/stampede/local-server";
import { isAvailable, openTestDatabase, type TestBackend } from "./databases";

/**
 * Debian's Chromium, driven by playwright-core (never a downloaded browser). Locally a missing browser
 * skips the browser suites with a warning; in CI it is a failure (`.ci/run` installs it with apt).
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const chromiumPresent = existsSync(CHROMIUM);

if (!chromiumPresent && process.env.CI)
  throw new Error(`Chromium is required in CI but ${CHROMIUM} is missing`);
if (!chromiumPresent) console.warn(`${CHROMIUM} missing: skipping browser tests (apt-get install chromium)`);

/** Flags for a closed network: without the background-networking ones Chromium keeps dialling out. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
  });
}

/**
 * The app really listening on 127.0.0.1 over a fresh database, and a Chromium to drive it, for one
 * `describe` block: set up before its tests, torn down after. `run` says whether the block can run here.
 * @example const site = browserSite("pglite", "test-results/browser"); it("…", async () => site.browser.newPage())
 */
export function browserSite(backend: TestBackend, shotsDir: string, deps: Omit<Partial<AppDeps>, "db"> = {}) {
  const run = chromiumPresent && isAvailable(backend);
  let db: Database | undefined;
  let server: LocalServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!run) return;
    mkdirSync(shotsDir, { recursive: true });
    db = await openTestDatabase(backend);
    server = await startLocalServer({ db, ...deps });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await db?.close();
  });

  return {
    run,
    get baseUrl(): string {
      return server!.url;
    },
    get browser(): Browser {
      return browser!;
    },
    /** The app behind the server, for what the API cannot do (e.g. a hold of seconds). */
    get app(): LocalServer["app"] {
      return server!.app;
    },
    shot: (page: Page, name: string) =>
      page.screenshot({ path: `${shotsDir}/${backend}-${name}.png`, fullPage: true }),
  };
}
