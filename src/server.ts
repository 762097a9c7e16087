import { getHeapStatistics } from "node:v8";
import { appOptionsFrom, createApp } from "./app";
import { type Config, ConfigError, loadConfig } from "./config";
import { openDatabase } from "./db/open";
import { describeDemo, RESET_DEMO, seedDemo, signInHint } from "./demo-seed";
import { createLogger } from "./observability/logger";
import { heapNeededMiB } from "./process/capacity";
import { drain } from "./process/drain";
import { startGarbageBudget } from "./process/garbage-budget";
import { Lifecycle } from "./process/lifecycle";
import { runtime, serve } from "./serve";

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
const log = createLogger({ level: config.logLevel, lines: config.logLines });

try {
  const db = await openDatabase(config.database, {
    onSwitch: (change) =>
      log.warn(change, `database endpoint ${change.from} -> ${change.to} (${change.reason})`),
  });
  // Bun only, and on by default only on PGlite: see src/process/garbage-budget.ts.
  const garbage = startGarbageBudget(config.garbageBudgetMiB * 2 ** 20);
  const lifecycle = new Lifecycle();
  let listeningOn: string | undefined;
  const app = createApp({ db, ...appOptionsFrom(config), log, lifecycle, selfUrl: () => listeningOn });
  // Which form the purchase runs in: one data-modifying statement, or the explicit-transaction fallback.
  const purchaseForm = await app.shop.purchaseForm();
  const demo = config.seedDemo ? await seedDemo(app.shop) : undefined;
  const { server, address: info } = await serve(app.fetch, {
    host: config.host,
    port: config.port,
    limits: config.http,
  });
  // The Stress Test sends real requests to this process; a wildcard address is reached on loopback.
  const host = info.address === "0.0.0.0" || info.address === "::" ? "127.0.0.1" : info.address;
  listeningOn = `http://${host.includes(":") ? `[${host}]` : host}:${info.port}`;
  const base = config.publicUrl ?? listeningOn;
  log.info(
    {
      backend: db.backend,
      purchaseForm,
      runtime,
      limits: config.http,
      garbageBudgetMiB: garbage ? config.garbageBudgetMiB : 0,
    },
    `Dropfront Live on http://${info.address}:${info.port}: open ${base} (${runtime}, database: ${db.backend}, purchase: ${purchaseForm})`,
  );
  log.info(await signInHint(app.shop, base));
  const heapMiB = Math.floor(getHeapStatistics().heap_size_limit / (1024 * 1024));
  if (runtime === "node" && heapMiB < heapNeededMiB(config.http)) {
    // The cap must be reached before the heap: a full heap kills the process, a full cap only says "busy".
    log.warn(
      { heapMiB, neededMiB: heapNeededMiB(config.http), limits: config.http },
      "the heap limit is below what HTTP_MAX_CONNECTIONS and HTTP_PENDING_BODIES_MAX_BYTES may need: raise --max-old-space-size or lower them (docs/capacity.md)",
    );
  }
  if (demo) {
    // The demo's one-time password is for the person at the terminal; it never goes into a log file.
    if (process.stdout.isTTY) console.log(describeDemo(demo, base));
    else
      log.info(`demo shop seeded; its password is shown only on a terminal: ${RESET_DEMO} prints a new one`);
  }

  const stop = (signal: NodeJS.Signals) => {
    garbage?.stop();
    log.info({ signal, garbageBudget: garbage?.budget.stats() }, "stopping");
    // However the drain goes, the process ends: a little after the drain's own bound at the latest.
    setTimeout(() => process.exit(1), config.drain.timeoutMs + 10_000).unref();
    drain({ server, lifecycle, db, log, times: config.drain }).then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "drain failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (error) {
  log.fatal({ err: error }, "could not start");
  process.exit(1);
}
