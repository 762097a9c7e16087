import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startCommand } from "../bench/server-process";

/**
 * The API page's walkthrough runs as written. Every ```sh block marked `<!-- walkthrough -->` is taken
 * from docs/api.md in order and run by bash against a fresh server (`npm start`'s command on in-memory
 * PGlite). The only change made to the text is the port: the page says 3000, the test's server listens
 * wherever the system puts it.
 */
const API_PAGE = readFileSync(new URL("../docs/api.md", import.meta.url), "utf8");

function walkthroughBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/<!-- walkthrough -->\s*```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

const blocks = walkthroughBlocks(API_PAGE);

describe("docs/api.md walkthrough", () => {
  let server: ChildProcess;
  let base = "";

  beforeAll(async () => {
    const [command, args] = startCommand();
    server = spawn(command, args, {
      cwd: new URL("..", import.meta.url).pathname,
      env: { ...process.env, HOST: "127.0.0.1", PORT: "0", DATA_DIR: "memory", SEED_DEMO: "never" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    base = await new Promise<string>((resolve, reject) => {
      let out = "";
      server.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /Dropfront Live on (http:\/\/[\d.]+:\d+)/.exec(out);
        if (match) resolve(match[1]!);
      });
      server.once("exit", (code) => reject(new Error(`server exited (${code}): ${out}`)));
    });
  }, 60_000);

  afterAll(() => {
    server?.kill("SIGTERM");
  });

  test("has the blocks, with no placeholders or typographic characters to trip a paste", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    for (const block of blocks) {
      const commands = block
        .split("\n")
        .map((line) => line.replace(/\s#.*$/, "").replace(/^#.*$/, ""))
        .join("\n");
      expect(commands).not.toMatch(/[\u2018\u2019\u201c\u201d\u2013\u2014\u2026]/);
      expect(commands).not.toMatch(/<[a-zA-Z]+>/);
    }
  });

  test("runs in order against a fresh server and every step answers as the comments say", () => {
    const script = ["set -euo pipefail", ...blocks].join("\n").replaceAll("http://127.0.0.1:3000", base);
    const run = spawnSync("bash", ["-c", script], { encoding: "utf8", timeout: 60_000 });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const out = run.stdout;
    for (const expected of [
      /"apiKey":"dfl_/,
      /"slug":"midnight-sneakers-[a-z0-9]{6}".*"status":"upcoming"/,
      /"priceCents":11900,"currency":"EUR","quantity":300,.*"remaining":300,"status":"upcoming"/,
      /"status":"live"/,
      /"order":\{"id":"[0-9a-f-]{36}","unitNo":\d+/,
      /"code":"drop_live"/,
      /"status":"paused"/,
      /"code":"paused"/,
      /"quantity":300,"sold":1,"remaining":299,"oversold":0/,
      /unit,order_id,fan,price,currency,created_at,variant,status,[^\n]*\r?\n\d+,[0-9a-f-]{36},fan@example.com,119.00,EUR,/,
      /"title":"Flash Tee".*"status":"live"/,
      /"status":"cancelled"/,
    ]) {
      expect(out).toMatch(expected);
    }
    // The two purchases with one key are one order.
    const orders = [...out.matchAll(/"order":\{"id":"([0-9a-f-]{36})"/g)].map((m) => m[1]);
    expect(orders).toHaveLength(2);
    expect(new Set(orders).size).toBe(1);
    expect(out).not.toMatch(/"code":"(invalid|unauthorized|not_found|internal)"/);
  });
});
