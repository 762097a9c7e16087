/**
 * `npm run db:export -- --to <where>`: copies the whole shop — sellers, drops, stock buckets, orders (held
 * and paid ones with their expiries, tokens and payments), ended holds, returned units, Stress Test
 * receipts, images and the rest — from one database to an EMPTY other one in one consistent snapshot,
 * then audits every drop on the target, the checkout's books included. Typical: from the embedded default (stop `npm start` first) to
 * PostgreSQL or Aurora DSQL; the reverse makes a local copy of production.
 *
 *   npm run db:export -- --to postgres://user@db.example.com/dropfront
 *   npm run db:export -- --to 'dsql://abc123.dsql.us-east-1.on.aws?region=us-east-1'
 *   npm run db:export -- --from postgres://user@db.example.com/dropfront --to ./data-copy
 *
 * --from defaults to the configured database (DATA_DIR, DATABASE_URL or DSQL_ENDPOINT). --with-sessions
 * also copies seller sign-in sessions (by default sellers sign in again on the new database).
 * Exit status: 0 copied and audited, 2 refused or failed (the message says why; nothing is left half-done
 * on a refusal, and after a failure the target should be dropped and the command run again).
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config";
import { describeLocation, locationOf, parseLocation, withSourceAndTarget } from "../src/db/location";
import { transferShop } from "../src/domain/books/shop-transfer";

const { values: args } = parseArgs({
  options: {
    from: { type: "string" },
    to: { type: "string" },
    "with-sessions": { type: "boolean", default: false },
  },
  strict: true,
});

try {
  if (!args.to) throw new Error("say where to: --to postgres://… | dsql://<endpoint>?region=… | <folder>");
  const from = args.from ? parseLocation(args.from) : locationOf(loadConfig().database);
  const to = parseLocation(args.to);
  console.error(`db:export: ${describeLocation(from)} -> ${describeLocation(to)}`);
  const report = await withSourceAndTarget(from, to, (source, target) =>
    transferShop(source, target, {
      includeSessions: args["with-sessions"],
      log: (line) => console.error(`db:export: ${line}`),
    }),
  );
  const rows = report.tables.reduce((sum, t) => sum + t.rows, 0);
  console.log(`Copied ${rows} rows in ${report.tables.length} tables; ${report.dropsAudited} drops audited.`);
} catch (error) {
  console.error(`db:export: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 2;
}
