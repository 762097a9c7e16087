import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import type { HttpServerLimits } from "../../src/config";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUN = fileURLToPath(new URL("../../node_modules/.bin/bun", import.meta.url));

/**
 * src/serve.ts under Bun (the npm package's binary) in a child process, serving serve-fixture.ts's trivial
 * app (it reads the body and answers "read N bytes") with `limits`; resolves with its port once it listens.
 * @example const bun = await startBunServe(limits); … bun.stop();
 */
export async function startBunServe(limits: HttpServerLimits): Promise<{ port: number; stop(): void }> {
  const child = spawn(BUN, ["test/support/serve-fixture.ts", JSON.stringify(limits)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`serve-fixture exited (${code}): ${out}`)));
  });
  return { port, stop: () => child.kill("SIGKILL") };
}

/**
 * startBunServe for the whole test file: started before its tests, killed after them.
 * @example const bun = bunServeForFile(limits); it("…", async () => connectTo(bun.port))
 */
export function bunServeForFile(limits: HttpServerLimits): { readonly port: number } {
  let started: { port: number; stop(): void } | undefined;
  beforeAll(async () => {
    started = await startBunServe(limits);
  }, 30_000);
  afterAll(() => started?.stop());
  return {
    get port() {
      if (!started) throw new Error("the Bun server has not started");
      return started.port;
    },
  };
}
