import { appOptionsFrom, createApp } from "./app";
import { ConfigError, loadConfig } from "./config";
import { openDatabase } from "./db/open";
import { describeDemo, seedDemo } from "./demo-seed";
import { serve } from "./serve";

try {
  const config = loadConfig();
  const db = await openDatabase(config.database);
  let listeningOn: string | undefined;
  const app = createApp({ db, ...appOptionsFrom(config), selfUrl: () => listeningOn });
  const demo = config.seedDemo ? await seedDemo(app.shop) : undefined;
  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
    // The Stress Test sends real requests to this process; a wildcard address is reached on loopback.
    const host = info.address === "0.0.0.0" || info.address === "::" ? "127.0.0.1" : info.address;
    listeningOn = `http://${host.includes(":") ? `[${host}]` : host}:${info.port}`;
    console.log(`Dropfront Live on http://${info.address}:${info.port} (database: ${db.backend})`);
    if (demo) console.log(describeDemo(demo, config.publicUrl ?? `http://${info.address}:${info.port}`));
  });
  const stop = () => {
    server.close(() => void db.close().then(() => process.exit(0)));
    // Live-counter streams never end by themselves: after a grace for in-flight buys, cut them
    // (EventSource reconnects to the next process).
    if ("closeAllConnections" in server) setTimeout(() => server.closeAllConnections(), 3000).unref();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
