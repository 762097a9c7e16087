import { spawnSync } from "node:child_process";
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, HAPROXY, startCluster } from "../bench/cluster";
import { createFreshDatabase, type FreshDatabase } from "../bench/fresh-database";
import { migrate } from "../src/db/migrate";
import { openPostgres } from "../src/db/postgres";
import {
  auditStampede,
  createLiveDrop,
  createSellerAccount,
  type DropSnapshot,
  type Receipt,
  runStampede,
} from "../src/stampede";
import { DAY_MS, localFromNow } from "./support/clock";
import { ADMIN_URL, postgresAvailable } from "./support/databases";
import { parseEvents, type StreamEvent } from "./support/sse-events";
import { TestBrowser } from "./web-seller-browser";

/**
 * Two real server processes (`npm start`, each its own port) on one fresh PostgreSQL database, behind
 * HAProxy balancing every request round robin: the stampede's requests land on both processes, and
 * whatever a process keeps in memory (sold-out cache, winners' keys, stock watcher, Stress Test runs)
 * must not change a single answer. Small sizes: this runs in CI.
 */
const haproxyFound = spawnSync(HAPROXY, ["-v"]).status === 0;
if (!haproxyFound && process.env.CI)
  throw new Error(`${HAPROXY} is required in CI (apt-get install haproxy)`);
if (!haproxyFound) console.warn(`${HAPROXY} not found: skipping the several-processes suite`);

const QUANTITY = 150;
const ATTEMPTS = 2000;

/** A "browser" that sends TestBrowser's requests over real HTTP to one process, cookies kept by hand. */
const overHttp = {
  request: (url: string, init?: RequestInit) => fetch(url, { ...init, redirect: "manual" }),
};

/** An SSE stream read to its end, as (event, data) pairs. */
async function readStream(url: string): Promise<StreamEvent[]> {
  return parseEvents(await (await fetch(url, { signal: AbortSignal.timeout(120_000) })).text());
}

/**
 * A run's event stream once it ends with the receipt. Right as a run finishes, its row can still read
 * "running" after the driving process let go of it, and the stream then says "elsewhere" (the page reloads
 * by itself); ask again, as the page would.
 */
async function receiptEvents(browser: TestBrowser, runPath: string): Promise<string> {
  for (let tries = 0; ; tries++) {
    const text = await (await browser.get(`${runPath}/events`)).text();
    if (text.includes("event: receipt") || tries >= 50) return text;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const remainingIn = (data: string) => Number(/data-remaining="(\d+)"/.exec(data)?.[1]);

describe.skipIf(!postgresAvailable || !haproxyFound)("two processes behind HAProxy on one PostgreSQL", () => {
  let database: FreshDatabase;
  let cluster: Cluster;
  let apiKey: string;
  let drop: DropSnapshot;
  let receipt: Receipt;
  let streams: StreamEvent[][];
  let requestsPerProcess: number[];

  beforeAll(async () => {
    database = await createFreshDatabase(ADMIN_URL);
    const db = openPostgres({
      url: database.url,
      poolSize: 1,
      acquireTimeoutMs: 5000,
      isolation: "read committed",
    });
    await migrate(db);
    await db.close();
    cluster = await startCluster({ processes: 2, env: { DATABASE_URL: database.url } });
    apiKey = await createSellerAccount(cluster.url);
    drop = await createLiveDrop(cluster.url, apiKey, QUANTITY, "Two processes");
    // A live counter open on each process directly, from before the first purchase to sold out.
    const open = cluster.processes.map((p) => readStream(`${p.url}/d/${drop.slug}/stream`));
    const before = await cluster.requestsPerProcess();
    const run = await runStampede({
      baseUrl: cluster.url,
      dropRef: drop.id,
      attempts: ATTEMPTS,
      concurrency: 40,
    });
    const after = await cluster.requestsPerProcess();
    requestsPerProcess = after.map((n, i) => n - (before[i] ?? 0));
    receipt = await auditStampede(run, apiKey, { backend: "postgres (2 processes behind HAProxy)" });
    streams = await Promise.all(open);
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    await database?.drop();
  });

  it("sells exactly the stock, with the stampede spread over both processes", () => {
    expect(receipt.breaches).toEqual([]);
    expect(receipt).toMatchObject({ quantity: QUANTITY, sold: QUANTITY, oversold: 0, duplicateUnits: 0 });
    expect(receipt.counts.won + receipt.counts.sold_out + receipt.counts.busy).toBe(ATTEMPTS);
    // Round robin per request: each process answered a fair share (not one process doing it all).
    for (const served of requestsPerProcess) expect(served).toBeGreaterThan(ATTEMPTS / 4);
  });

  it("every process's live counter ends on the audit's count, never going up on the way", () => {
    expect(streams).toHaveLength(2);
    for (const events of streams) {
      const counts = events.map((e) => remainingIn(e.data));
      expect(events.at(-1)?.event).toBe("soldout");
      expect(counts.at(-1)).toBe(receipt.remaining);
      expect(receipt.remaining).toBe(0);
      expect(counts).toEqual([...counts].sort((a, b) => b - a));
    }
  });

  it("each process answers sold out once stock is gone, and gives a winner's retry its order back", async () => {
    const orders = (await (
      await fetch(`${cluster.url}/api/drops/${drop.id}/orders?limit=1`, {
        headers: { authorization: `Bearer ${apiKey}` },
      })
    ).json()) as { orders: { id: string; fan: string }[] };
    const winner = orders.orders[0]!;
    const winnerKey = winner.fan.replace(/^fan-/, "");
    for (const { url } of cluster.processes) {
      const buy = (fan: string, key: string) =>
        fetch(`${url}/api/drops/${drop.id}/purchase`, {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": key },
          body: JSON.stringify({ fan }),
        });
      for (let i = 0; i < 5; i++) {
        const res = await buy(`late-${i}@example.com`, `late-${url}-${i}`);
        expect(res.status).toBe(409);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("sold_out");
      }
      const replay = await buy(winner.fan, winnerKey);
      expect(replay.status).toBe(200);
      expect(((await replay.json()) as { order: { id: string } }).order.id).toBe(winner.id);
    }
  });

  it("one Stress Test per seller across processes: a start on the other process answers 409", async () => {
    const [a, b] = cluster.processes;
    const onA = new TestBrowser(overHttp as unknown as Hono, a!.url);
    const onB = new TestBrowser(overHttp as unknown as Hono, b!.url);
    expect(
      (await onA.signUp({ name: "Ada", email: "ada@example.com", password: "correct horse battery" })).status,
    ).toBe(303);
    for (const [name, value] of onA.cookies) onB.cookies.set(name, value);
    const created = await onA.submit("/seller/drops/new", "/seller/drops", {
      title: "Rehearsed",
      description: "",
      price: "5.00",
      currency: "usd",
      quantity: "100",
      maxPerFan: "1",
      startsAt: localFromNow(30 * DAY_MS),
      timeZone: "UTC",
    });
    const slug = created.headers.get("location")!.replace("/seller/drops/", "");
    // Many attempts one at a time: still running when process B is asked; cancelled below.
    const settings = { attempts: "200000", concurrency: "1" };
    const started = await onA.submit(`/seller/drops/${slug}`, `/seller/drops/${slug}/stress`, settings);
    expect(started.status).toBe(303);
    const runPath = started.headers.get("location")!;

    const refused = await onB.submit(`/seller/drops/${slug}`, `/seller/drops/${slug}/stress`, settings);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain("already running");

    // Cancelled where it runs; its event stream ends with the receipt, and the seller's slot is free again.
    expect((await onA.submit(runPath, `${runPath}/cancel`, {})).status).toBe(303);
    expect(await receiptEvents(onA, runPath)).toContain("event: receipt");
    const second = await onB.submit(`/seller/drops/${slug}`, `/seller/drops/${slug}/stress`, settings);
    expect(second.status).toBe(303);
    const secondPath = second.headers.get("location")!;
    expect((await onB.submit(secondPath, `${secondPath}/cancel`, {})).status).toBe(303);
    expect(await receiptEvents(onB, secondPath)).toContain("event: receipt");
  });
});
