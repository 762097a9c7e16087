import { randomBytes } from "node:crypto";
import { migrate } from "../src/db/migrate";
import { openPostgres } from "../src/db/postgres";
import { Busy } from "../src/domain/errors";
import { createShop, type PurchaseEngineOptions, type Shop } from "../src/domain/shop";
import { createBenchScratchTable, insertBenchScratchRow } from "../src/repository";
import { LatencyHistogram, runWorkers } from "../src/stampede";

/**
 * Section 1: the purchase engine without HTTP. Purchases per second at several numbers of concurrent
 * buyers, on a drop with one stock row and on one with the bucket count the app picks, each purchase its
 * own statement (PURCHASE_BATCH_MAX=1); then the chosen buckets again with group commit (the default
 * batch size), all beside the database's plain-insert ceiling measured through the same pool at the same
 * concurrency.
 */
export interface EngineFigures {
  concurrency: number;
  ceilingPerSecond: number;
  oneBucket: PurchaseFigures;
  chosenBuckets: PurchaseFigures;
  batched: PurchaseFigures & { buyersPerStatement: number };
}

export interface PurchaseFigures {
  buckets: number;
  wins: number;
  busy: number;
  errors: number;
  perSecond: number;
  p50: number | null;
  p99: number | null;
}

/** The server's defaults (src/config.ts), so the engine here is the engine the HTTP sections reach. */
const POOL = { poolSize: 8, acquireTimeoutMs: 5000, isolation: "read committed" as const };

export async function benchEngine(
  url: string,
  options: {
    attempts: number;
    concurrencies: number[];
    log: (line: string) => void;
    /** Group commit settings for the batched run; the server's defaults when absent. */
    batching?: Partial<PurchaseEngineOptions>;
  },
): Promise<EngineFigures[]> {
  const db = openPostgres({ url, ...POOL });
  try {
    await migrate(db);
    await createBenchScratchTable(db);
    const unbatched = createShop(db, { engine: { batchMax: 1 } });
    const batching = createShop(db, options.batching ? { engine: options.batching } : {});
    const { seller } = await batching.createSeller({
      email: `bench-${randomBytes(4).toString("hex")}@bench.test`,
      name: "Bench",
      password: randomBytes(12).toString("hex"),
    });
    // Warm the pool's connections and the insert path before anything is timed.
    await runWorkers(500, 8, (i) => insertBenchScratchRow(db, i));

    const timed = async (task: (i: number) => Promise<void>, concurrency: number) => {
      const startedAt = performance.now();
      await runWorkers(options.attempts, concurrency, task);
      return (performance.now() - startedAt) / 1000;
    };

    const purchases = async (
      shop: Shop,
      concurrency: number,
      bucketCount: number | undefined,
    ): Promise<PurchaseFigures> => {
      const drop = await shop.createDrop(seller, {
        title: "Engine bench",
        description: "",
        priceCents: 100,
        currency: "USD",
        // Twice the attempts, so the drop never sells out while it is being timed.
        quantity: 2 * options.attempts,
        startsAt: new Date(Date.now() - 60_000),
        maxPerFan: 1,
        ...(bucketCount === undefined ? {} : { bucketCount }),
      });
      const tag = randomBytes(4).toString("hex");
      const latency = new LatencyHistogram();
      let busy = 0;
      let errors = 0;
      const seconds = await timed(async (i) => {
        const sentAt = performance.now();
        try {
          await shop.purchase(drop.id, { fan: `fan-${tag}-${i}`, idempotencyKey: `${tag}-${i}` });
          latency.record(performance.now() - sentAt);
        } catch (error) {
          if (error instanceof Busy) busy++;
          else errors++;
        }
      }, concurrency);
      return {
        buckets: drop.bucketCount,
        wins: latency.count,
        busy,
        errors,
        perSecond: latency.count / seconds,
        p50: latency.percentile(0.5),
        p99: latency.percentile(0.99),
      };
    };

    const figures: EngineFigures[] = [];
    for (const concurrency of options.concurrencies) {
      const ceilingSeconds = await timed((i) => insertBenchScratchRow(db, i), concurrency);
      const oneBucket = await purchases(unbatched, concurrency, 1);
      const chosenBuckets = await purchases(unbatched, concurrency, undefined);
      const sentBefore = { ...batching.batcher.sent };
      const batchedFigures = await purchases(batching, concurrency, undefined);
      const statements = batching.batcher.sent.statements - sentBefore.statements;
      const members = batching.batcher.sent.members - sentBefore.members;
      const row = {
        concurrency,
        ceilingPerSecond: options.attempts / ceilingSeconds,
        oneBucket,
        chosenBuckets,
        batched: { ...batchedFigures, buyersPerStatement: statements === 0 ? 0 : members / statements },
      };
      options.log(
        `engine c=${concurrency}: ceiling ${row.ceilingPerSecond.toFixed(0)}/s, 1 bucket ${oneBucket.perSecond.toFixed(0)}/s, ${chosenBuckets.buckets} buckets ${chosenBuckets.perSecond.toFixed(0)}/s, batched ${batchedFigures.perSecond.toFixed(0)}/s (${row.batched.buyersPerStatement.toFixed(1)} buyers a statement, ${(batchedFigures.perSecond / row.ceilingPerSecond).toFixed(2)}x ceiling)`,
      );
      figures.push(row);
    }
    return figures;
  } finally {
    await db.close();
  }
}
