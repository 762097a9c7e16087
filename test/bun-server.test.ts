import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFreshDatabase, type FreshDatabase } from "../bench/fresh-database";
import { createBenchSeller } from "../bench/seller";
import { type ServerProcess, startServerProcess } from "../bench/server-process";
import { auditStampede, createLiveDrop, runStampede } from "../src/stampede";
import { ADMIN_URL, postgresAvailable } from "./support/databases";

/**
 * `npm start` / `npm run start:bun`: the real server under Bun (the npm package's binary), on a fresh
 * PostgreSQL database, driven by the same Node client as every other stampede. `npm run start:node` runs
 * beside it as the control for the check that tells the two HTTP servers apart.
 */
describe.skipIf(!postgresAvailable)("the server under Bun", () => {
  let database: FreshDatabase;
  let apiKey: string;
  let onBun: ServerProcess;
  let onNode: ServerProcess;

  beforeAll(async () => {
    database = await createFreshDatabase(ADMIN_URL);
    apiKey = await createBenchSeller(database.url);
    [onBun, onNode] = await Promise.all([
      startServerProcess({ DATABASE_URL: database.url }, "bun"),
      startServerProcess({ DATABASE_URL: database.url }, "node"),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([onBun?.stop(), onNode?.stop()]);
    await database?.drop();
  });

  it("answers through Bun.serve, not Node's http server (which always says Keep-Alive: timeout=5)", async () => {
    const [bun, node] = await Promise.all([fetch(`${onBun.url}/healthz`), fetch(`${onNode.url}/healthz`)]);
    expect([bun.status, await bun.text()]).toEqual([200, "ok"]);
    expect([node.status, await node.text()]).toEqual([200, "ok"]);
    expect(node.headers.get("keep-alive")).toBe("timeout=5");
    expect(bun.headers.get("keep-alive")).toBeNull();
  });

  it("sells exactly the stock under a stampede, judged by the database's audit", async () => {
    const drop = await createLiveDrop(onBun.url, apiKey, 200, "Bun stampede");
    const run = await runStampede({ baseUrl: onBun.url, dropRef: drop.id, attempts: 2000, concurrency: 50 });
    const receipt = await auditStampede(run, apiKey, { backend: "postgres (server on Bun)" });
    expect(receipt.breaches).toEqual([]);
    expect(receipt).toMatchObject({
      sold: 200,
      oversold: 0,
      duplicateUnits: 0,
      acknowledgedWithoutOrderRow: 0,
    });
  }, 120_000);

  it("keeps a quiet live-counter stream open past Bun.serve's 10 s default idle timeout", async () => {
    const drop = await createLiveDrop(onBun.url, apiKey, 5, "Bun quiet stream");
    const controller = new AbortController();
    const res = await fetch(`${onBun.url}/d/${drop.slug}/stream`, { signal: controller.signal });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    const until = async (text: string) => {
      while (!seen.includes(text)) {
        const { value, done } = await reader.read();
        if (done) return false;
        seen += value;
      }
      return true;
    };
    expect(await until('data-remaining="5"')).toBe(true);
    // Nothing happens on the drop for 11 s: without idleTimeout the stream would be cut at 10 s.
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    const bought = await fetch(`${onBun.url}/api/drops/${drop.id}/purchase`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ fan: "quiet@example.com" }),
    });
    expect(bought.status).toBe(201);
    expect(await until('data-remaining="4"')).toBe(true);
    controller.abort();
  }, 60_000);
});
