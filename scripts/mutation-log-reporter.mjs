// @ts-check
/**
 * A Stryker reporter (`mutant-log` in stryker.config.mjs) that writes each mutant's result the moment it is
 * known, one JSON line per mutant, to `mutants.jsonl` beside the group's JSON report. Stryker's own reports
 * are written only at the end, so a run stopped part way (a deadline on a loaded machine) used to leave
 * its survivors unnamed; with this file every tested mutant is named, whatever happens to the run.
 * @example
 * // after (or during) `npm run mutation -- holds`:
 * // grep '"Survived"' reports/mutation/holds/mutants.jsonl
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { commonTokens, declareFactoryPlugin, PluginKind } from "@stryker-mutator/api/plugin";

/**
 * @param {import("@stryker-mutator/api/core").StrykerOptions} options
 * @returns {import("@stryker-mutator/api/report").Reporter}
 */
function mutantLog(options) {
  const reportFile = /** @type {{ fileName?: string } | undefined} */ (options.jsonReporter)?.fileName;
  const file = join(dirname(reportFile ?? "reports/mutation/all/mutation.json"), "mutants.jsonl");
  let started = false;
  return {
    onMutantTested(result) {
      // A fresh file per run (the first result truncates it): lines of an earlier run are never mixed in.
      if (!started) {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, "");
        started = true;
      }
      const line = {
        at: new Date().toISOString(),
        status: result.status,
        file: result.fileName,
        line: result.location.start.line,
        column: result.location.start.column,
        mutator: result.mutatorName,
        replacement: result.replacement,
        killedBy: result.killedBy,
        testsCompleted: result.testsCompleted,
      };
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    },
  };
}
mutantLog.inject = /** @type {const} */ ([commonTokens.options]);

export const strykerPlugins = [declareFactoryPlugin(PluginKind.Reporter, "mutant-log", mutantLog)];
