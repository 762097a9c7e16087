import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { openSource, openTarget } from "../src/db/location";
import { migrate } from "../src/db/migrate";
import { openPglite } from "../src/db/pglite";
import { openPostgres } from "../src/db/postgres";
import { openSnapshot } from "../src/db/snapshot";
import { TransferRefused, transferShop } from "../src/domain/books/shop-transfer";
import * as repo from "../src/repository";
import { createScratchPostgres, postgresAvailable } from "./support/databases";
import { audit, buy, createDrop, createSeller } from "./support/shop-fixtures";

const run = promisify(execFile);

/**
 * Moving a shop that started on the embedded default to PostgreSQL and back, with the command-line tools
 * an operator runs. Every drop's books must be identical on the target and selling must carry on there.
 */
describe.runIf(postgresAvailable)("db:export and db:backup", () => {
  let folder: string;
  let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
  let apiKey: string;
  const drops: { id: string; quantity: number }[] = [];

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), "dropfront-transfer-"));
    scratch = await createScratchPostgres();
    const db = await openPglite(path.join(folder, "shop"));
    await migrate(db);
    const app = createApp({ db, logError: () => undefined });
    ({ apiKey } = await createSeller(app));
    const partly = await createDrop(app, apiKey, { quantity: 20, title: "Partly sold" });
    const soldOut = await createDrop(app, apiKey, { quantity: 6, title: "Sold out" });
    for (let i = 0; i < 12; i++) expect((await buy(app, partly.id, `fan${i}@example.com`)).status).toBe(201);
    for (let i = 0; i < 8; i++) await buy(app, soldOut.id, `fan${i}@example.com`);
    drops.push({ id: partly.id, quantity: 20 }, { id: soldOut.id, quantity: 6 });
    const [seller] = (await db.query<{ id: string }>("SELECT id FROM sellers")).rows;
    await repo.insertSellerSession(db, { tokenHash: "a".repeat(64), sellerId: seller!.id, ttlSeconds: 3600 });
    await db.close();
  });

  afterAll(async () => {
    await scratch?.drop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it("copies the embedded shop to PostgreSQL with every drop's books intact, and selling carries on there", async () => {
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "scripts/db-export.ts", "--from", path.join(folder, "shop"), "--to", scratch.url],
      { env: { ...process.env, LOG_LEVEL: "silent" } },
    );
    expect(stdout).toMatch(/2 drops audited/);

    const target = openPostgres({
      url: scratch.url,
      poolSize: 2,
      acquireTimeoutMs: 10_000,
      isolation: "read committed",
    });
    try {
      const app = createApp({ db: target, logError: () => undefined });
      const partly = await audit(app, drops[0]!.id, apiKey);
      expect(partly.status).toBe(200);
      expect(partly.body).toMatchObject({ quantity: 20, sold: 12, remaining: 8, oversold: 0 });
      expect((await audit(app, drops[1]!.id, apiKey)).body).toMatchObject({ sold: 6, remaining: 0 });
      // The seller's API key moved with them, and the next fan gets a unit nobody holds.
      const next = await buy(app, drops[0]!.id, "newcomer@example.com");
      expect(next.status).toBe(201);
      expect((await audit(app, drops[0]!.id, apiKey)).body).toMatchObject({ sold: 13, duplicateUnits: 0 });
      expect((await buy(app, drops[1]!.id, "late@example.com")).body.error?.code).toBe("sold_out");
      // Sessions stay behind unless asked for.
      expect((await target.query("SELECT 1 FROM seller_sessions")).rows).toHaveLength(0);
    } finally {
      await target.close();
    }
  });

  it("refuses a target that already holds data, and writes nothing to it", async () => {
    const source = await openSource({ kind: "pglite", dataDir: path.join(folder, "shop") });
    const target = await openTarget({ kind: "postgres", url: scratch.url });
    try {
      const before = (await target.query<{ n: number }>("SELECT count(*)::int AS n FROM orders")).rows[0]!.n;
      await expect(transferShop(source, target)).rejects.toBeInstanceOf(TransferRefused);
      expect((await target.query<{ n: number }>("SELECT count(*)::int AS n FROM orders")).rows[0]!.n).toBe(
        before,
      );
    } finally {
      await target.close();
      await source.close();
    }
  });

  it("copies a live PostgreSQL shop back into a local embedded folder from one snapshot, sessions included", async () => {
    const copy = path.join(folder, "copy");
    const source = await openSnapshot({ kind: "postgres", url: scratch.url });
    let target: Database | undefined;
    try {
      target = await openTarget({ kind: "pglite", dataDir: copy });
      const report = await transferShop(source, target, { includeSessions: true, pageRows: 5 });
      expect(report.dropsAudited).toBe(2);
      expect(report.tables.find((t) => t.name === "orders")?.rows).toBe(12 + 6 + 1);
      expect(report.tables.find((t) => t.name === "seller_sessions")?.rows).toBe(0);
      expect(await repo.auditDrop(target, drops[0]!.id)).toMatchObject({
        sold: 13,
        remaining: 7,
        duplicateUnits: 0,
      });
    } finally {
      await target?.close();
      await source.close();
    }
  });

  it("db:backup makes an audited copy of the embedded folder that opens as a data folder", async () => {
    const backup = path.join(folder, "backup");
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "scripts/db-backup.ts", "--to", backup],
      {
        env: {
          ...withoutDatabaseSettings(process.env),
          DATA_DIR: path.join(folder, "shop"),
          LOG_LEVEL: "silent",
        },
      },
    );
    expect(stdout).toMatch(/2 drops audited/);
    const db = await openPglite(backup);
    try {
      expect(await repo.auditDrop(db, drops[0]!.id)).toMatchObject({ sold: 12, remaining: 8 });
      expect((await db.query("SELECT 1 FROM seller_sessions")).rows).toHaveLength(1);
    } finally {
      await db.close();
    }
  });

  it("refuses to open a data folder another live process holds, and takes over one a dead process left", async () => {
    const held = path.join(folder, "held");
    await (await openPglite(held)).close();
    const other = spawn("sleep", ["30"]);
    try {
      await writeFile(path.join(held, "dropfront.lock"), String(other.pid));
      await expect(openPglite(held)).rejects.toThrow(/in use by process/);
    } finally {
      other.kill("SIGKILL");
      await new Promise((resolve) => other.once("exit", resolve));
    }
    const db = await openPglite(held);
    await db.close();
  });
});

function withoutDatabaseSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { DATABASE_URL: _url, DSQL_ENDPOINT: _dsql, ...rest } = env;
  return rest;
}
