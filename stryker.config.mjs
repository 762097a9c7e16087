// @ts-check
/**
 * Mutation testing of the guards that keep the promise (issue 21): `npm run mutation`. Stryker changes the
 * purchase and checkout modules one mutant at a time and runs the suites that cover them
 * (vitest.stryker.config.ts); a mutant no test notices is a guard no test holds. Not part of `.ci/run`:
 * a full run takes tens of minutes on a small machine.
 *
 * `npm run mutation` runs the groups below one after another (scripts/mutation.mjs); `npm run mutation --
 * checkout` runs one group. Each group has its own incremental file and reports in reports/mutation/<group>/,
 * so a second run re-tests only the mutants whose code or covering tests changed.
 * Without MUTATION_GROUP (plain `npx stryker run stryker.config.mjs --mutate <file>`), the report is
 * reports/mutation/all/.
 * @type {import("@stryker-mutator/api/core").PartialStrykerOptions}
 */

/** The modules, grouped so that each group runs in minutes rather than hours. */
export const MUTATION_GROUPS = {
  /** The purchase SQL and its statements (Stryker mutates whole string literals: a statement blanked). */
  "purchase-sql": [
    "src/repository/purchase/purchase.ts",
    "src/repository/purchase/purchase-sql.ts",
    "src/repository/purchase/purchase-steps.ts",
  ],
  holds: ["src/repository/checkout/holds.ts"],
  purchase: ["src/domain/purchase/purchase.ts", "src/domain/purchase/purchase-batcher.ts"],
  checkout: ["src/domain/checkout/checkout.ts"],
  retry: ["src/domain/purchase/retry.ts"],
};

const group = process.env.MUTATION_GROUP;
if (group !== undefined && !(group in MUTATION_GROUPS)) {
  throw new Error(`MUTATION_GROUP=${group}: one of ${Object.keys(MUTATION_GROUPS).join(", ")}`);
}
const reportDir = `reports/mutation/${group ?? "all"}`;

export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.stryker.config.ts" },
  // mutant-log (scripts/mutation-log-reporter.mjs): each mutant's result as it is known, so a run stopped part
  // way still names what it tested (reports/mutation/<group>/mutants.jsonl).
  plugins: ["@stryker-mutator/vitest-runner", "./scripts/mutation-log-reporter.mjs"],
  // Stryker rewrites the tsconfig it is pointed at through TypeScript's JavaScript API, which TypeScript 7
  // (the native compiler we use) no longer has. Vitest needs no tsconfig rewriting here (no `extends`, no
  // project references), so Stryker is pointed at a file that does not exist and leaves tsconfig.json alone.
  tsconfigFile: "no-tsconfig-rewrite.json",
  mutate: group
    ? MUTATION_GROUPS[/** @type {keyof typeof MUTATION_GROUPS} */ (group)]
    : Object.values(MUTATION_GROUPS).flat(),
  // Each mutant runs only the tests that reached its code in the first, unmutated run.
  coverageAnalysis: "perTest",
  // A second run re-tests only mutants whose code or covering tests changed (the file is per group).
  incremental: true,
  incrementalFile: `${reportDir}/stryker-incremental.json`,
  // The first, unmutated run makes a database per suite and file; on a loaded machine it took over 5 minutes.
  dryRunTimeoutMinutes: 30,
  // Other runs' sandboxes (a second run with its own --tempDirName) and reports are not part of the project.
  ignorePatterns: [".stryker-tmp*", "reports"],
  concurrency: 2,
  // Integration suites make a database per file; under a loaded machine a run can be slow, never hung.
  timeoutMS: 120_000,
  timeoutFactor: 3,
  reporters: ["clear-text", "progress", "html", "json", "mutant-log"],
  htmlReporter: { fileName: `${reportDir}/index.html` },
  jsonReporter: { fileName: `${reportDir}/mutation.json` },
  tempDirName: group ? `.stryker-tmp-${group}` : ".stryker-tmp",
  cleanTempDir: "always",
  thresholds: { high: 90, low: 80, break: null },
};
