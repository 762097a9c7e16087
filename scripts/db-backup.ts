/**
 * `npm run db:backup`: a consistent copy of the embedded database into a new folder (default
 * `backups/<UTC time>`), audited drop by drop, sessions included. The copy is itself an embedded data
 * folder: restore by stopping the server and starting it with `DATA_DIR=<backup folder>` (or by moving the
 * folder into place). Stop `npm start` first: a data folder is opened by one process at a time.
 * For PostgreSQL use pg_dump; Aurora DSQL keeps its own backups (AWS Backup).
 *
 *   npm run db:backup
 *   npm run db:backup -- --to /mnt/backups/shop-2026-11-30
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config";
import { describeLocation, locationOf, withSourceAndTarget } from "../src/db/location";
import { transferShop } from "../src/domain/books/shop-transfer";

const { values: args } = parseArgs({ options: { to: { type: "string" } }, strict: true });

try {
  const from = locationOf(loadConfig().database);
  if (from.kind !== "pglite") {
    throw new Error(
      `db:backup copies the embedded database; ${describeLocation(from)} is backed up with its own tools (pg_dump, AWS Backup)`,
    );
  }
  const to = {
    kind: "pglite" as const,
    dataDir: args.to ?? `backups/${new Date().toISOString().replace(/[:.]/g, "-")}`,
  };
  const report = await withSourceAndTarget(from, to, (source, target) =>
    transferShop(source, target, { includeSessions: true }),
  );
  console.log(`Backup of ${describeLocation(from)} in ${to.dataDir}: ${report.dropsAudited} drops audited.`);
} catch (error) {
  console.error(`db:backup: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 2;
}
