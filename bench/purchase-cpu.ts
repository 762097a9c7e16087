/**
 * CPU per win of the purchase engine, without HTTP: `npm run bench:cpu` (or `node --import tsx
 * bench/purchase-cpu.ts [wins] [buyers]`). Sells a fresh drop's every unit through the shop's engine (group
 * commit, the server's defaults) at 128 buyers on a fresh PostgreSQL database, and reads the CPU the
 * engine's own process and PostgreSQL's backends (with the WAL writer) spent, from /proc and
 * process.cpuUsage(). CPU time, unlike a rate, hardly moves with what the neighbours on a shared machine
 * do, so two builds can be compared on a busy machine: run each a few times, alternated.
 */
import { randomBytes } from "node:crypto";
import { migrate } from "../src/db/migrate";
import { openPostgres } from "../src/db/postgres";
import { createShop } from "../src/domain/shop";
import { runWorkers } from "../src/stampede";
import { createFreshDatabase } from "./fresh-database";
import { databaseProcesses, totalCpuMs } from "./lanes";

const wins = Number(process.argv[2] ?? 20_000);
const buyers = Number(process.argv[3] ?? 128);
const adminUrl =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/test";

const fresh = await createFreshDatabase(adminUrl);
const db = openPostgres({ url: fresh.url, poolSize: 8, acquireTimeoutMs: 5000, isolation: "read committed" });
try {
  await migrate(db);
  const shop = createShop(db);
  const { seller } = await shop.createSeller({
    email: `cpu-${randomBytes(4).toString("hex")}@bench.test`,
    name: "Bench",
    password: randomBytes(12).toString("hex"),
  });
  const drop = async (quantity: number) =>
    shop.createDrop(seller, {
      title: "CPU bench",
      description: "",
      priceCents: 100,
      currency: "USD",
      quantity,
      startsAt: new Date(Date.now() - 60_000),
      maxPerFan: 1,
    });
  const sell = async (dropId: string, count: number, tag: string) => {
    await runWorkers(count, buyers, async (i) => {
      await shop.purchase(dropId, { fan: `fan-${tag}-${i}@example.com`, idempotencyKey: `${tag}-${i}` });
    });
  };
  // Warm-up: the JIT, the pool, the statement's plan and the planner's statistics, on a drop of its own.
  const warm = await drop(2000);
  await sell(warm.id, 2000, "warm");
  const hot = await drop(wins);
  const backends = await databaseProcesses(fresh.url);
  const before = { engine: process.cpuUsage(), database: await totalCpuMs(backends) };
  const startedAt = performance.now();
  await sell(hot.id, wins, "hot");
  const seconds = (performance.now() - startedAt) / 1000;
  const engine = process.cpuUsage(before.engine);
  const databaseMs = (await totalCpuMs(backends)) - before.database;
  const engineUs = (engine.user + engine.system) / wins;
  const databaseUs = (databaseMs * 1000) / wins;
  const statements = shop.batcher.sent;
  console.log(
    `purchase CPU per win: engine ${engineUs.toFixed(0)} µs + PostgreSQL ${databaseUs.toFixed(0)} µs = ${(engineUs + databaseUs).toFixed(0)} µs; ` +
      `${wins} wins by ${buyers} buyers in ${seconds.toFixed(1)} s (${(wins / seconds).toFixed(0)}/s), ` +
      `${(statements.members / Math.max(1, statements.statements)).toFixed(1)} buyers a statement`,
  );
} finally {
  await db.close();
  await fresh.drop();
}
