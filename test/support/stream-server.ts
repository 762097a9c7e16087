import { createInterface } from "node:readline";
import { appOptionsFrom, createApp } from "../../src/app";
import { loadConfig } from "../../src/config";
import { openDatabase } from "../../src/db/open";
import { seedDemo } from "../../src/demo-seed";
import { serve } from "../../src/serve";

// The app as src/server.ts builds it from the environment (on a fresh PGlite directory in DATA_DIR), with
// a drop on sale now, served by src/serve.ts; prints "listening <port> <slug>". For tests and the bench that
// measure what open connections cost the process: on a line "heap" from stdin it collects garbage (Node
// must run with --expose-gc; Bun collects with Bun.gc) and prints "heap <bytes used>".
const config = loadConfig();
const db = await openDatabase(config.database);
const app = createApp({ db, ...appOptionsFrom(config), logError: () => undefined });
if (!(await seedDemo(app.shop))) throw new Error("stream-server needs a fresh DATA_DIR");
const { seller } = await app.shop.createSeller({
  email: "capacity@example.com",
  name: "Cap",
  password: "a long password",
});
const drop = await app.shop.createDrop(seller, {
  title: "Capacity",
  description: "",
  priceCents: 100,
  currency: "USD",
  quantity: 1000,
  startsAt: new Date(app.shop.clock() - 1000),
  maxPerFan: 1,
});
const { address } = await serve(app.fetch, { host: "127.0.0.1", port: 0, limits: config.http });
console.log(`listening ${address.port} ${drop.slug}`);

const { gc: nodeGc, Bun: bun } = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
const gc = nodeGc ?? (bun && (() => bun.gc(true)));
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== "heap") continue;
  gc?.();
  console.log(`heap ${process.memoryUsage().heapUsed}`);
}
