import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

/** axe-core from node_modules (never a CDN), read once. */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * axe-core's violations on the page, one line each, so a failure says what and where. axe is evaluated
 * through the DevTools protocol rather than added as a <script>: the app's CSP allows no inline script,
 * and the test must not loosen the policy it is checking the pages under.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  // Page-side code as a string: this project type-checks without the DOM library.
  return (await page.evaluate(
    `axe.run(document).then((r) => r.violations.map((v) => v.id + ": " + v.help + " (" + v.nodes.map((n) => n.target.join(" ")).join(", ") + ")"))`,
  )) as string[];
}
