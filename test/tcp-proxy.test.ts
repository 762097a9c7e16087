import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isConnectionLost } from "../src/db/database";
import { ADMIN_URL, postgresAvailable } from "./support/databases";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy";

/** The fault proxy itself, against the real PostgreSQL: what it does to a pg client is what the suites rely on. */
describe.skipIf(!postgresAvailable)("TCP proxy in front of PostgreSQL", () => {
  const target = new URL(ADMIN_URL);
  const table = `tcp_proxy_probe_${randomBytes(4).toString("hex")}`;
  let proxy: TcpProxy;
  const clients: pg.Client[] = [];

  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: proxy.urlFor(ADMIN_URL),
      connectionTimeoutMillis: 5000,
    });
    client.on("error", () => undefined); // a cut idle client reports here; the tests look at the query's error
    clients.push(client);
    await client.connect();
    return client;
  }

  async function direct<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await direct((client) => client.query(`CREATE TABLE ${table} (marker text)`));
  });
  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
    await proxy?.close();
    await direct((client) => client.query(`DROP TABLE IF EXISTS ${table}`));
  });

  it("passes queries through and rewrites only host and port of a URL", async () => {
    expect(proxy.urlFor("postgres://u:p@db.example:6543/shop?sslmode=disable")).toBe(
      `postgres://u:p@127.0.0.1:${proxy.port}/shop?sslmode=disable`,
    );
    const client = await connect();
    const { rows } = await client.query("SELECT 40 + 2 AS answer");
    expect(rows).toEqual([{ answer: 42 }]);
    expect(proxy.openConnections).toBeGreaterThanOrEqual(1);
    await client.end();
    await expect.poll(() => proxy.openConnections).toBe(0);
  });

  it("adds its delay in both directions, so a round trip costs at least twice the delay", async () => {
    const client = await connect();
    proxy.delayMs = 40;
    try {
      const started = performance.now();
      await client.query("SELECT 1");
      expect(performance.now() - started).toBeGreaterThanOrEqual(2 * proxy.delayMs);
      proxy.delayMs = 0; // lowered while nothing waits: later chunks go straight through
      expect((await client.query("SELECT $1::int AS n", [3])).rows).toEqual([{ n: 3 }]);
    } finally {
      proxy.delayMs = 0;
      await client.end();
    }
  });

  it("refuses new connections while refuse is set, with an error the app treats as a lost connection", async () => {
    proxy.refuse = true;
    try {
      const error = await connect().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Error);
      expect(isConnectionLost(error)).toBe(true);
    } finally {
      proxy.refuse = false;
    }
    const client = await connect();
    expect((await client.query("SELECT 1 AS up")).rows).toEqual([{ up: 1 }]);
    await client.end();
  });

  it.each([
    ["cutAll", () => proxy.cutAll()],
    ["resetAll", () => proxy.resetAll()],
  ])("%s breaks a running query with an error the app treats as a lost connection", async (_name, fault) => {
    const client = await connect();
    const running = client.query("SELECT pg_sleep(5)").catch((caught: unknown) => caught);
    await expect.poll(() => proxy.openConnections).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    fault();
    const error = await running;
    expect(error).toBeInstanceOf(Error);
    expect(isConnectionLost(error)).toBe(true);
  });

  it("cutAfterForwarding lets the matching statement commit and cuts before its answer arrives", async () => {
    const client = await connect();
    const marker = `ambiguous-${randomBytes(4).toString("hex")}`;
    const fired = proxy.cutAfterForwarding((chunk) => chunk.includes(marker));
    await client.query("SELECT 'not this one'");
    const error = await client
      .query(`INSERT INTO ${table} (marker) VALUES ($1)`, [marker])
      .catch((caught: unknown) => caught);
    await fired;
    expect(isConnectionLost(error)).toBe(true);
    const { rows } = await direct((other) =>
      other.query(`SELECT marker FROM ${table} WHERE marker = $1`, [marker]),
    );
    expect(rows).toEqual([{ marker }]);
  });
});
