import { randomBytes } from "node:crypto";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, sqlState, violatedConstraint } from "../src/db/database";
import { migrate } from "../src/db/migrate";
import { openPglite } from "../src/db/pglite";
import { createShop } from "../src/domain/shop";
import { runWorkers } from "../src/stampede";
import { fromNow, MINUTE_MS } from "./support/clock";

/**
 * The embedded default's own machinery (issue 20 §2): a new data folder made by initdb in a process of its
 * own, hot statements as named prepared statements, and group commit that actually groups on PGlite.
 */
describe("PGlite, the embedded default", () => {
  let folder: string;
  let db: Database;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), "dropfront-embedded-test-"));
    db = await openPglite(folder, 60_000);
    await migrate(db);
  }, 240_000);
  afterAll(async () => {
    await db?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it("creates a new data folder apart, then opens it again after a close with its rows", async () => {
    await access(path.join(folder, "PG_VERSION"));
    await db.query("CREATE TABLE embedded_probe (id int PRIMARY KEY, names text[])");
    await db.query("INSERT INTO embedded_probe VALUES (1, $1::text[])", [["a", "b,c"]]);
    await db.close();
    db = await openPglite(folder, 60_000);
    const { rows } = await db.query<{ names: string[] }>("SELECT names FROM embedded_probe WHERE id = 1");
    expect(rows).toEqual([{ names: ["a", "b,c"] }]);
  }, 240_000);

  it("answers a named (prepared) statement as the unnamed one: rows, arrays, nulls, and again", async () => {
    const text = "SELECT $1::uuid AS id, $2::text[] AS names, $3::int AS n, $4::text AS absent";
    const id = "7b0c8d3e-4a1b-4f6e-9c2d-1e2f3a4b5c6d";
    const params = [id, ["x", 'y"z', "a,b"], 7, null];
    const unnamed = await db.query(text, params);
    for (let run = 0; run < 3; run++) {
      expect(await db.query(text, params, { name: "embedded_probe_select" })).toEqual(unnamed);
    }
    expect(unnamed.rows).toEqual([{ id, names: ["x", 'y"z', "a,b"], n: 7, absent: null }]);
    // Another value through the same prepared statement.
    const other = await db.query<{ n: number }>(text, [id, [], 8, "here"], { name: "embedded_probe_select" });
    expect(other.rows[0]).toMatchObject({ n: 8, names: [], absent: "here" });
  });

  it("reports a prepared statement's error with its SQLSTATE and constraint, and runs on after it", async () => {
    await db.query("CREATE TABLE embedded_unique (k text CONSTRAINT embedded_unique_k UNIQUE)");
    const insert = "INSERT INTO embedded_unique (k) VALUES ($1::text) RETURNING k";
    expect((await db.query(insert, ["one"], { name: "embedded_insert" })).rows).toEqual([{ k: "one" }]);
    const error = await db.query(insert, ["one"], { name: "embedded_insert" }).catch((e: unknown) => e);
    expect(sqlState(error)).toBe("23505");
    expect(violatedConstraint(error)).toBe("embedded_unique_k");
    // Nothing of the failed statement stayed, and the connection is usable at once.
    expect((await db.query(insert, ["two"], { name: "embedded_insert" })).rows).toEqual([{ k: "two" }]);
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM embedded_unique");
    expect(rows).toEqual([{ n: 2 }]);
  });

  it("groups many buyers into one purchase statement when they come at once (it sent one each before)", async () => {
    const shop = createShop(db);
    const { seller } = await shop.createSeller({
      email: `embedded-${randomBytes(4).toString("hex")}@test.test`,
      name: "Embedded",
      password: randomBytes(12).toString("hex"),
    });
    const drop = await shop.createDrop(seller, {
      title: "Embedded batch",
      description: "",
      priceCents: 100,
      currency: "USD",
      quantity: 1000,
      startsAt: fromNow(-MINUTE_MS),
      maxPerFan: 1,
    });
    const buyers = 400;
    // Each buyer is a fresh task started on its own turn of the event loop, as requests arrive from sockets.
    await runWorkers(buyers, 100, async (i) => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await shop.purchase(drop.id, { fan: `fan-${i}`, idempotencyKey: `key-${i}` });
    });
    const { statements, members } = shop.batcher.sent;
    expect(members).toBe(buyers);
    // With the queue starting each statement in the microtask after the last one's answer, buyers arriving
    // in between never reached the batcher in time: 1.0 buyers a statement.
    expect(members / statements).toBeGreaterThan(4);
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM orders WHERE drop_id = $1::uuid",
      [drop.id],
    );
    expect(rows).toEqual([{ n: buyers }]);
  }, 240_000);
});
