// Runs Stryker (stryker.config.mjs) over the named groups, one at a time: `npm run mutation` (every group),
// `npm run mutation -- checkout retry` (those), `npm run mutation -- --list`. Extra Stryker flags after the
// groups pass through (`npm run mutation -- holds --concurrency 1`). TEST_BACKENDS=pglite in front runs the
// embedded database only: faster, but the PostgreSQL-only interleavings (teeth-interleave) do not run then.
import { spawnSync } from "node:child_process";
import { MUTATION_GROUPS } from "../stryker.config.mjs";

const args = process.argv.slice(2);
if (args.includes("--list")) {
  for (const [name, files] of Object.entries(MUTATION_GROUPS)) console.log(`${name}: ${files.join(" ")}`);
  process.exit(0);
}
const firstFlag = args.findIndex((arg) => arg.startsWith("-"));
const names = firstFlag === -1 ? args : args.slice(0, firstFlag);
const flags = firstFlag === -1 ? [] : args.slice(firstFlag);
const unknown = names.filter((name) => !(name in MUTATION_GROUPS));
if (unknown.length > 0) {
  console.error(`unknown group ${unknown.join(", ")}; groups: ${Object.keys(MUTATION_GROUPS).join(", ")}`);
  process.exit(2);
}
let failed = false;
for (const name of names.length > 0 ? names : Object.keys(MUTATION_GROUPS)) {
  console.log(`\n== mutation group ${name}: ${MUTATION_GROUPS[name].join(" ")}`);
  const run = spawnSync("npx", ["stryker", "run", "stryker.config.mjs", ...flags], {
    stdio: "inherit",
    env: { ...process.env, MUTATION_GROUP: name },
  });
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
