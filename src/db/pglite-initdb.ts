/**
 * Entry of the short-lived process that creates a new PGlite data folder (see `initdbApart` in pglite.ts):
 * `<runtime> pglite-initdb.ts <folder>`. PGlite's initdb fills about 750 MiB of memory that the process
 * that ran it keeps (measured: 884 MiB resident after creating a fresh folder, 131 MiB after opening an
 * existing one); run here, that memory goes back to the system when this process exits.
 */
import { PGlite } from "@electric-sql/pglite";
import { EMBEDDED_SETTINGS } from "./pglite-settings";

const folder = process.argv[2];
if (!folder) {
  console.error("usage: pglite-initdb <data folder>");
  process.exit(2);
}
const pg = await PGlite.create({ dataDir: folder, postgresqlconf: EMBEDDED_SETTINGS });
await pg.close();
process.exit(0);
