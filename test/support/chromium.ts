import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

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
