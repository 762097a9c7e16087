import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startServerProcess } from "../bench/server-process";

/**
 * Issue 15 §2: the README's stampede example did not work against the server it told you to start (the
 * purchase limit answered most attempts 429). docs/rate-limits.md says what to set; its two blocks run here
 * as written: the server started with the block's variables (on a free port, in memory), then the seller
 * and the stampede. The control starts the server as plain `npm start` and sees the limit answer 429.
 */
const DOC = readFileSync(new URL("../docs/rate-limits.md", import.meta.url), "utf8");
const block = (name: string) =>
  new RegExp(`<!-- stampede-own-server: ${name} -->\\s*\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(DOC)?.[1] ?? "";

/** The variables the start block sets before `npm start`, e.g. {PURCHASE_RATE_LIMIT: "0"}. */
function startVariables(): Record<string, string> {
  const line = block("start").trim();
  expect(line).toMatch(/^(\w+=\S+ )*npm start$/);
  return Object.fromEntries([...line.matchAll(/(\w+)=(\S+) /g)].map((m) => [m[1]!, m[2]!]));
}

async function stampedeAgainst(variables: Record<string, string>) {
  // startServerProcess lifts the purchase limit for the bench; here only the doc's variables decide.
  const server = await startServerProcess({
    DATA_DIR: "memory",
    PURCHASE_RATE_LIMIT: undefined,
    ...variables,
  });
  try {
    const script = ["set -euo pipefail", block("run")]
      .join("\n")
      .replaceAll("http://127.0.0.1:3000", server.url);
    const run = spawnSync("bash", ["-c", script], {
      cwd: new URL("..", import.meta.url).pathname,
      encoding: "utf8",
      timeout: 240_000,
    });
    return { status: run.status, out: `${run.stdout}\n${run.stderr}` };
  } finally {
    await server.stop();
  }
}

describe("docs/rate-limits.md: stampeding your own server", () => {
  it("the example runs as written against the server started as the page says", async () => {
    const { status, out } = await stampedeAgainst(startVariables());
    expect(out).toContain("Dropfront stampede receipt: PASS");
    expect(out).toMatch(/outcomes +won 500, sold out \d+, busy \d+, errors 0/);
    expect(out).toMatch(/invalid 0/);
    expect(status).toBe(0);
  });

  it("control: against plain `npm start` the purchase limit answers the same stampede 429", async () => {
    const { out } = await stampedeAgainst({});
    expect(out).toMatch(/invalid [1-9]\d*/);
    expect(out).toContain("HTTP 429");
  });
});
