import { describe, expect, it } from "vitest";
import { runtime } from "../src/serve";

/**
 * `.ci/run` runs the API and contention suites a second time under Bun (`bun --bun vitest run ...`) with
 * EXPECT_RUNTIME=bun: this file, run with them, fails if that run did not in fact happen on Bun.
 */
describe("the runtime the suites run on", () => {
  const expected = process.env.EXPECT_RUNTIME ?? "node";

  it(`is ${expected}, and src/serve.ts picks that runtime's own HTTP server`, () => {
    expect(process.versions.bun === undefined ? "node" : "bun").toBe(expected);
    expect(runtime).toBe(expected);
  });
});
