import { serve } from "@hono/node-server";
import { createApp } from "./app";
import { ConfigError, loadConfig } from "./config";
import { openDatabase } from "./db/open";

try {
  const config = loadConfig();
  const db = await openDatabase(config.database);
  const app = createApp({ db });
  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
    console.log(`Dropfront Live on http://${info.address}:${info.port} (database: ${db.backend})`);
  });
  const stop = () => server.close(() => void db.close().then(() => process.exit(0)));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
