/**
 * The embedded engine without HTTP: `shop.purchase` by `concurrency` buyers at once on a fresh PGlite data
 * folder, `attempts` wins on a drop that never sells out; prints wins/s, the p50/p99 and buyers a statement.
 *
 *   bun bench/embedded-engine.ts [--attempts 3000] [--concurrency 200] [--unprepared] [--batch-max 64] [--in-flight 2]
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { migrate } from "../src/db/migrate";
import { openPglite } from "../src/db/pglite";
import { createShop } from "../src/domain/shop";
import { LatencyHistogram, runWorkers } from "../src/stampede";

const { values: args } = parseArgs({
  options: {
    attempts: { type: "string", default: "3000" },
    concurrency: { type: "string", default: "200" },
    unprepared: { type: "boolean", default: false },
    "batch-max": { type: "string" },
    "in-flight": { type: "string" },
  },
});
const attempts = Number(args.attempts);
const folder = await mkdtemp(path.join(tmpdir(), "dropfront-engine-"));
const db = await openPglite(folder, 60_000, { prepare: !args.unprepared });
try {
  await migrate(db);
  const shop = createShop(db, {
    engine: {
      ...(args["batch-max"] ? { batchMax: Number(args["batch-max"]) } : {}),
      ...(args["in-flight"] ? { batchesInFlight: Number(args["in-flight"]) } : {}),
    },
  });
  const { seller } = await shop.createSeller({
    email: `e-${randomBytes(4).toString("hex")}@bench.test`,
    name: "Bench",
    password: randomBytes(12).toString("hex"),
  });
  const drop = await shop.createDrop(seller, {
    title: "Engine bench",
    description: "",
    priceCents: 100,
    currency: "USD",
    quantity: 2 * attempts + 1000,
    startsAt: new Date(Date.now() - 60_000),
    maxPerFan: 1,
  });
  // Warm-up: the first statements plan and fill caches.
  await runWorkers(200, 20, async (i) => {
    await shop.purchase(drop.id, { fan: `warm-${i}`, idempotencyKey: `warm-${i}` });
  });
  const latency = new LatencyHistogram();
  const before = { ...shop.batcher.sent };
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  await runWorkers(attempts, Number(args.concurrency), async (i) => {
    const sentAt = performance.now();
    await shop.purchase(drop.id, { fan: `fan-${i}`, idempotencyKey: `key-${i}` });
    latency.record(performance.now() - sentAt);
  });
  const seconds = (performance.now() - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const statements = shop.batcher.sent.statements - before.statements;
  const members = shop.batcher.sent.members - before.members;
  console.log(
    `wins/s ${(attempts / seconds).toFixed(0)}, p50 ${latency.percentile(0.5)?.toFixed(1)} ms, p99 ${latency.percentile(0.99)?.toFixed(1)} ms, ` +
      `${statements} statements, ${(members / statements).toFixed(1)} buyers a statement, ` +
      `CPU ${((cpu.user + cpu.system) / 1000 / attempts).toFixed(2)} ms a win, ${((cpu.user + cpu.system) / 1000 / statements).toFixed(1)} ms a statement`,
  );
} finally {
  await db.close();
  await rm(folder, { recursive: true, force: true });
}
