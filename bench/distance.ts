import { randomBytes } from "node:crypto";
import { appOptionsFrom, createApp } from "../src/app";
import { loadConfig } from "../src/config";
import { ConnectionUnavailable } from "../src/db/database";
import { openPostgres } from "../src/db/postgres";
import { Busy } from "../src/domain/errors";
import { defaultRetryPolicy, withRetry } from "../src/domain/purchase/retry";
import { createShop, type Shop } from "../src/domain/shop";
import type { Seller } from "../src/domain/types";
import * as repo from "../src/repository";
import { LatencyHistogram, runWorkers } from "../src/stampede";
import { startTcpProxy } from "../test/support/tcp-proxy";

/**
 * Aurora DSQL's distance, simulated: PostgreSQL at REPEATABLE READ (snapshot isolation, conflicts as 40001
 * like DSQL's OCC) behind the latency-injecting TCP proxy of test/support/tcp-proxy.ts, so every round trip
 * costs D ms more. At each D the same buyers run for the same time against each design:
 * - baseline: the common multi-round-trip, single-row design (repo.baselinePurchase), retried like ours;
 * - 1 bucket: our one-statement purchase on one stock row;
 * - K buckets: the same on the bucket count the app picks (64 for these drops);
 * - group commit: K buckets with PURCHASE_BATCH_MAX batching, when this build has that setting.
 * Every cell's drop is audited afterwards: oversold, duplicate units and wins without an order row must be 0.
 */
export type Design = "baseline" | "one-bucket" | "k-buckets" | "group-commit";

export interface DistanceCell {
  roundTripMs: number;
  poolSize: number;
  design: Design;
  /** Absent when this build cannot run the design (group commit before PURCHASE_BATCH_MAX exists). */
  figures?: CellFigures;
}

export interface CellFigures {
  buckets: number;
  attempts: number;
  wins: number;
  busy: number;
  errors: number;
  seconds: number;
  winsPerSecond: number;
  busyRate: number;
  p99: number | null;
  /** From the database: units sold beyond the stock, duplicate units, order rows ≠ acknowledged wins. */
  breaches: string[];
}

export interface DistanceOptions {
  roundTripsMs: number[];
  poolSizes: number[];
  concurrency: number;
  secondsPerCell: number;
  batchMax: number;
  log: (line: string) => void;
}

/** Enough stock that no cell sells out while it is timed. */
const QUANTITY = 200_000;

/**
 * The group-commit setting, if this build has it: `PURCHASE_BATCH_MAX` changes the parsed configuration
 * only where src/config.ts knows it, and the shop is then built through `appOptionsFrom` like the server's.
 */
function groupCommitShop(db: ReturnType<typeof openPostgres>, batchMax: number): Shop | undefined {
  const env = { DATABASE_URL: "postgres://unused/x" };
  const off = JSON.stringify(loadConfig({ ...env, PURCHASE_BATCH_MAX: "1" }));
  const on = loadConfig({ ...env, PURCHASE_BATCH_MAX: String(batchMax) });
  if (JSON.stringify(on) === off) return undefined;
  // No hold sweeper: the cells sell instant drops, and a sweeper would outlive the cell's pool (it stops on
  // a drain, which a bare shop never has) and warn every second for the rest of the run.
  return createApp({ db, ...appOptionsFrom(on), holdSweepMs: 0, logError: () => undefined }).shop;
}

/** Runs `attempt` from `concurrency` buyers until `seconds` have passed; in-flight attempts finish and count. */
async function forSeconds(
  seconds: number,
  concurrency: number,
  attempt: (i: number) => Promise<"won" | "busy" | "error">,
) {
  const latency = new LatencyHistogram();
  const counts = { won: 0, busy: 0, error: 0 };
  let next = 0;
  const startedAt = performance.now();
  const endAt = startedAt + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < endAt) {
        const sentAt = performance.now();
        const outcome = await attempt(next++);
        counts[outcome]++;
        if (outcome === "won") latency.record(performance.now() - sentAt);
      }
    }),
  );
  return {
    counts,
    attempts: next,
    seconds: (performance.now() - startedAt) / 1000,
    p99: latency.percentile(0.99),
  };
}

async function auditBreaches(
  db: ReturnType<typeof openPostgres>,
  dropId: string,
  wins: number,
  errors: number,
) {
  const audit = await repo.auditDrop(db, dropId);
  if (!audit) return ["drop missing"];
  const breaches: string[] = [];
  if (audit.oversold !== 0) breaches.push(`oversold ${audit.oversold}`);
  if (audit.duplicateUnits !== 0) breaches.push(`duplicate units ${audit.duplicateUnits}`);
  if (audit.unitsOutOfRange !== 0) breaches.push(`units out of range ${audit.unitsOutOfRange}`);
  // An error may have committed before it failed; a win always has its row.
  if (audit.sold < wins || audit.sold > wins + errors) breaches.push(`${audit.sold} sold for ${wins} wins`);
  return breaches;
}

async function runCell(
  db: ReturnType<typeof openPostgres>,
  shop: Shop,
  seller: Seller,
  design: Design,
  options: DistanceOptions,
): Promise<CellFigures> {
  const oneRow = design === "baseline" || design === "one-bucket";
  const drop = await shop.createDrop(seller, {
    title: `Distance ${design}`,
    description: "",
    priceCents: 100,
    currency: "USD",
    quantity: QUANTITY,
    startsAt: new Date(Date.now() - 60_000),
    maxPerFan: 1,
    ...(oneRow ? { bucketCount: 1 } : {}),
  });
  const tag = randomBytes(4).toString("hex");
  const buyer = (i: number) => ({ fan: `fan-${tag}-${i}`, idempotencyKey: `${tag}-${i}` });
  const classify = (error: unknown) =>
    error instanceof Busy || error instanceof ConnectionUnavailable ? ("busy" as const) : ("error" as const);

  const ours = async (i: number) => {
    try {
      await shop.purchase(drop.id, buyer(i));
      return "won" as const;
    } catch (error) {
      return classify(error);
    }
  };
  const baseline = async (i: number) => {
    try {
      const outcome = await withRetry(defaultRetryPolicy, async (attemptNumber) => {
        const client = await db.pool.connect().catch(() => {
          throw new ConnectionUnavailable();
        });
        try {
          return await repo.baselinePurchase(
            {
              query: async <Row>(text: string, values?: unknown[]) => ({
                rows: (await client.query(text, values)).rows as Row[],
              }),
            },
            { dropId: drop.id, ...buyer(i), attemptNumber },
          );
        } catch (error) {
          await client.query("ROLLBACK").catch(() => undefined);
          throw error;
        } finally {
          client.release();
        }
      });
      return typeof outcome === "object" ? ("won" as const) : ("error" as const);
    } catch (error) {
      return classify(error);
    }
  };

  const run = await forSeconds(
    options.secondsPerCell,
    options.concurrency,
    design === "baseline" ? baseline : ours,
  );
  const { won: wins, busy, error: errors } = run.counts;
  return {
    buckets: drop.bucketCount,
    attempts: run.attempts,
    wins,
    busy,
    errors,
    seconds: run.seconds,
    winsPerSecond: wins / run.seconds,
    busyRate: run.attempts ? busy / run.attempts : 0,
    p99: run.p99,
    breaches: await auditBreaches(db, drop.id, wins, errors),
  };
}

/** Opens every pooled connection (each costs several round trips at a distance) before anything is timed. */
async function warmUp(shop: Shop, seller: Seller, poolSize: number): Promise<void> {
  const drop = await shop.createDrop(seller, {
    title: "Distance warm-up",
    description: "",
    priceCents: 100,
    currency: "USD",
    quantity: 4 * poolSize,
    startsAt: new Date(Date.now() - 60_000),
    maxPerFan: 1,
  });
  const tag = randomBytes(4).toString("hex");
  await runWorkers(4 * poolSize, poolSize, async (i) => {
    await shop
      .purchase(drop.id, { fan: `warm-${tag}-${i}`, idempotencyKey: `${tag}-${i}` })
      .catch(() => undefined);
  });
}

export async function benchDistance(databaseUrl: string, options: DistanceOptions): Promise<DistanceCell[]> {
  const target = new URL(databaseUrl);
  const cells: DistanceCell[] = [];
  for (const roundTripMs of options.roundTripsMs) {
    // The proxy delays each direction, so half the round trip each way.
    const proxy = await startTcpProxy(
      { host: target.hostname, port: Number(target.port || 5432) },
      { delayMs: roundTripMs / 2 },
    );
    try {
      for (const poolSize of options.poolSizes) {
        const db = openPostgres({
          url: proxy.urlFor(databaseUrl),
          poolSize,
          acquireTimeoutMs: 5000,
          isolation: "repeatable read",
        });
        try {
          const shop = createShop(db);
          const { seller } = await shop.createSeller({
            email: `distance-${randomBytes(4).toString("hex")}@bench.test`,
            name: "Distance",
            password: randomBytes(12).toString("hex"),
          });
          await warmUp(shop, seller, poolSize);
          const grouped = groupCommitShop(db, options.batchMax);
          for (const design of ["baseline", "one-bucket", "k-buckets", "group-commit"] as const) {
            const designShop = design === "group-commit" ? grouped : shop;
            if (!designShop) {
              cells.push({ roundTripMs, poolSize, design });
              continue;
            }
            const figures = await runCell(db, designShop, seller, design, options);
            options.log(
              `distance D=${roundTripMs} ms pool ${poolSize} ${design}: ${figures.winsPerSecond.toFixed(0)} wins/s, busy ${(100 * figures.busyRate).toFixed(1)} %${figures.breaches.length ? `, BREACH ${figures.breaches.join("; ")}` : ""}`,
            );
            cells.push({ roundTripMs, poolSize, design, figures });
          }
        } finally {
          await db.close();
        }
      }
    } finally {
      await proxy.close();
    }
  }
  return cells;
}
