/**
 * `npm run stampede`: the k6 stampede (loadtest/stampede.js) in Node, for machines without k6 and for CI.
 * Many new fans buy one drop at once over real HTTP; the drop's audit and order list then decide the
 * receipt, which exits non-zero on any broken invariant.
 *
 *   npm run stampede                                    in-process server on PGlite in memory
 *   npm run stampede -- --backend postgres --database-url postgres://postgres@127.0.0.1:5432/test
 *   npm run stampede -- --url http://127.0.0.1:3000 --seller-key sk_...      (or SELLER_KEY=sk_...)
 *   npm run stampede -- --url http://127.0.0.1:3000 --seller-key sk_... --drop summer-sneaker-k3x9qa
 *
 * Sizes: --quantity (units of the drop it creates, default 1000), --attempts (default 10 × quantity),
 * --concurrency (workers, default 100), --variants (split the drop it creates into that many sizes, 1-20;
 * fans ask for them in turn). --json <file> also writes the receipt as JSON.
 * Exit status: 0 PASS, 1 an invariant broke, 2 the run could not be set up.
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import * as v from "valibot";
import type { Database } from "../src/db/database";
import { migrate } from "../src/db/migrate";
import { openPglite } from "../src/db/pglite";
import { openPostgres } from "../src/db/postgres";
import {
  auditStampede,
  createLiveDrop,
  createSellerAccount,
  type DropSnapshot,
  formatReceipt,
  readDrop,
  runStampede,
} from "../src/stampede";
import { startLocalServer } from "../src/stampede/local-server";

const count = (name: string, max: number) =>
  v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, `--${name} must be a whole number`),
      v.transform(Number),
      v.minValue(1, `--${name} must be at least 1`),
      v.maxValue(max, `--${name} must be at most ${max}`),
    ),
  );

const Options = v.pipe(
  v.object({
    url: v.optional(v.pipe(v.string(), v.url("--url must be a URL such as http://127.0.0.1:3000"))),
    "seller-key": v.optional(v.pipe(v.string(), v.minLength(1))),
    drop: v.optional(
      v.pipe(v.string(), v.regex(/^[A-Za-z0-9-]{1,100}$/, "--drop must be a drop id or slug")),
    ),
    backend: v.optional(v.picklist(["pglite", "postgres"], "--backend must be pglite or postgres"), "pglite"),
    "database-url": v.optional(v.pipe(v.string(), v.minLength(1))),
    isolation: v.optional(v.picklist(["read-committed", "repeatable-read"]), "read-committed"),
    "pool-size": count("pool-size", 1000),
    quantity: count("quantity", 1_000_000),
    variants: count("variants", 20),
    attempts: count("attempts", 100_000_000),
    concurrency: count("concurrency", 10_000),
    json: v.optional(v.pipe(v.string(), v.minLength(1))),
  }),
  v.check((o) => !(o.drop && !o.url), "--drop needs --url (a running server holding that drop)"),
  v.check(
    (o) => !(o.url && o["database-url"]),
    "--database-url is for the in-process server, not with --url",
  ),
  v.check((o) => o.backend !== "postgres" || !!o["database-url"], "--backend postgres needs --database-url"),
);

const MAX_WAIT_FOR_LIVE_MS = 60_000;

class SetupError extends Error {}

function readOptions() {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: Object.fromEntries(
        Object.keys(Options.pipe[0].entries).map((name) => [name, { type: "string" as const }]),
      ),
      strict: true,
    }));
  } catch (error) {
    throw new SetupError(error instanceof Error ? error.message : String(error));
  }
  const parsed = v.safeParse(Options, {
    ...values,
    "seller-key": values["seller-key"] ?? process.env.SELLER_KEY,
  });
  if (!parsed.success) throw new SetupError(parsed.issues.map((issue) => issue.message).join("\n"));
  return parsed.output;
}

/** The in-process server on the chosen backend; its database is made fresh (PGlite) or migrated (PostgreSQL). */
async function localTarget(options: ReturnType<typeof readOptions>) {
  const db: Database =
    options.backend === "postgres"
      ? openPostgres({
          url: options["database-url"]!,
          poolSize: options["pool-size"] ?? 8,
          acquireTimeoutMs: 5000,
          isolation: options.isolation === "repeatable-read" ? "repeatable read" : "read committed",
        })
      : await openPglite("memory");
  await migrate(db);
  const server = await startLocalServer({ db, logError: (error) => console.error(error) });
  return {
    url: server.url,
    backend: db.isolation === "repeatable read" ? `${db.backend} (repeatable read)` : db.backend,
    close: async () => {
      await server.close();
      await db.close();
    },
  };
}

/** Waits out a drop that goes live within a minute, as the k6 script does; refuses one further away. */
async function untilLive(baseUrl: string, drop: DropSnapshot): Promise<DropSnapshot> {
  if (drop.status !== "upcoming") return drop;
  const waitMs = Date.parse(drop.startsAt) - Date.parse(drop.serverTime);
  if (!(waitMs <= MAX_WAIT_FOR_LIVE_MS)) {
    throw new SetupError(`drop ${drop.slug} is not live until ${drop.startsAt}; pick a live drop`);
  }
  console.error(`stampede: waiting ${(waitMs / 1000).toFixed(1)} s for drop ${drop.slug} to go live`);
  await new Promise((resolve) => setTimeout(resolve, waitMs + 200));
  return readDrop(baseUrl, drop.id);
}

async function main(): Promise<number> {
  const options = readOptions();
  const target = options.url
    ? { url: options.url, backend: "remote", close: async () => undefined }
    : await localTarget(options);
  try {
    const sellerKey =
      options["seller-key"] ?? (options.url ? undefined : await createSellerAccount(target.url));
    if (!sellerKey) {
      throw new SetupError(
        "against --url the runner needs the seller's API key (--seller-key or SELLER_KEY)",
      );
    }
    const quantity = options.quantity ?? 1000;
    const drop = await untilLive(
      target.url,
      options.drop
        ? await readDrop(target.url, options.drop)
        : await createLiveDrop(target.url, sellerKey, quantity, undefined, {}, options.variants ?? 1),
    );
    const attempts = options.attempts ?? 10 * drop.quantity;
    const concurrency = options.concurrency ?? 100;
    console.error(
      `stampede: ${attempts} attempts by ${concurrency} workers on drop ${drop.slug} (${drop.remaining}/${drop.quantity} left${(drop.variants?.length ?? 1) > 1 ? ` over ${drop.variants!.length} variants, fans spread round them` : ""}) at ${target.url}`,
    );

    const stop = new AbortController();
    process.once("SIGINT", () => stop.abort());
    let lastReport = performance.now();
    const run = await runStampede({
      baseUrl: target.url,
      dropRef: drop.id,
      attempts,
      concurrency,
      signal: stop.signal,
      onProgress: ({ counts, answered }) => {
        if (performance.now() - lastReport < 5000) return;
        lastReport = performance.now();
        console.error(`stampede: ${answered}/${attempts} answered, won ${counts.won}, busy ${counts.busy}`);
      },
    });
    const receipt = await auditStampede(run, sellerKey, { backend: target.backend });
    console.log(formatReceipt(receipt));
    if (options.json) await writeFile(options.json, `${JSON.stringify(receipt, null, 2)}\n`);
    return receipt.breaches.length === 0 ? 0 : 1;
  } finally {
    await target.close();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(
    `stampede: ${error instanceof SetupError ? error.message : error instanceof Error ? error.stack : error}`,
  );
  process.exitCode = 2;
}
