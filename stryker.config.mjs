// @ts-check
/**
 * Mutation testing of the guards that keep the promise (issue 21): `npm run mutation`. Stryker changes the
 * purchase and checkout modules one mutant at a time and runs the suites that cover them
 * (vitest.stryker.config.ts); a mutant no test notices is a guard no test holds. Not part of `.ci/run`:
 * a full run takes tens of minutes on a small machine. Results: reports/mutation/ (HTML and JSON).
 * @type {import("@stryker-mutator/api/core").PartialStrykerOptions}
 */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.stryker.config.ts" },
  plugins: ["@stryker-mutator/vitest-runner"],
  // Stryker rewrites the tsconfig it is pointed at through TypeScript's JavaScript API, which TypeScript 7
  // (the native compiler we use) no longer has. Vitest needs no tsconfig rewriting here (no `extends`, no
  // project references), so Stryker is pointed at a file that does not exist and leaves tsconfig.json alone.
  tsconfigFile: "no-tsconfig-rewrite.json",
  mutate: [
    "src/repository/purchase/purchase.ts",
    "src/repository/purchase/purchase-sql.ts",
    "src/repository/purchase/purchase-steps.ts",
    "src/repository/checkout/holds.ts",
    "src/domain/purchase/purchase.ts",
    "src/domain/checkout/checkout.ts",
    "src/domain/purchase/retry.ts",
  ],
  // Each mutant runs only the tests that reached its code in the first, unmutated run.
  coverageAnalysis: "perTest",
  // The first, unmutated run makes a database per suite and file; on a loaded machine it took over 5 minutes.
  dryRunTimeoutMinutes: 30,
  // Other runs' sandboxes (a second run with its own --tempDirName) and reports are not part of the project.
  ignorePatterns: [".stryker-tmp*", "reports"],
  concurrency: 2,
  // Integration suites make a database per file; under a loaded machine a run can be slow, never hung.
  timeoutMS: 120_000,
  timeoutFactor: 3,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  thresholds: { high: 90, low: 80, break: null },
};
