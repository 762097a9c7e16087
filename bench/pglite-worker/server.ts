/**
 * A server for the worker-thread measurement: the app (startLocalServer) on PGlite in a worker thread
 * (`--worker`) or on this thread as today, on DATA_DIR, migrated; prints "on http://…" as src/server.ts does.
 */
import { migrate } from "../../src/db/migrate";
import { openPglite } from "../../src/db/pglite";
import { startLocalServer } from "../../src/stampede/local-server";
import { openPgliteInWorker } from "./proxy";

const dataDir = process.env.DATA_DIR!;
const db = process.argv.includes("--worker") ? await openPgliteInWorker(dataDir) : await openPglite(dataDir);
await migrate(db);
const server = await startLocalServer({ db });
console.log(`listening on ${server.url}`);
process.once("SIGTERM", () => {
  void server
    .close()
    .then(() => db.close())
    .then(() => process.exit(0));
});
