/**
 * Moving a shop from one database to another in one consistent snapshot: the embedded default to
 * PostgreSQL or Aurora DSQL when a shop outgrows `npm start`, a production database to a local copy, or a
 * backup of the embedded data folder. Nothing is written unless the target is empty, and nothing is called
 * done until every drop's books on the target match the source.
 */
import type { Database } from "../../db/database";
import * as repo from "../../repository";
import type { Audit } from "../types";

export class TransferRefused extends Error {}

export interface TransferReport {
  tables: { name: string; rows: number }[];
  /**
   * Drops whose books were checked on the target: sold, remaining, no oversell, no duplicate unit, and the
   * checkout's (held, paid, returned units, ended holds by how they ended).
   */
  dropsAudited: number;
}

export interface TransferOptions {
  /** Seller sign-in sessions are copied only when asked: after a move, sellers simply sign in again. */
  includeSessions?: boolean;
  /** Rows read per page; pages are cut further so one statement stays well under DSQL's 10 MiB. */
  pageRows?: number;
  log?: (line: string) => void;
}

const SESSION_TABLES = new Set(["seller_sessions"]);
const MAX_STATEMENT_BYTES = 4 * 1024 * 1024;

/**
 * Copies every table of `source` into the empty, migrated `target`, then audits each drop on both.
 * `source` must be a consistent view for the whole call (a snapshot transaction, or an embedded folder
 * no server has open).
 * @example await transferShop(await openSnapshot({ kind: "postgres", url }), await openDatabase(target))
 */
export async function transferShop(
  source: Database,
  target: Database,
  options: TransferOptions = {},
): Promise<TransferReport> {
  const log = options.log ?? (() => undefined);
  const [fromSchema, toSchema] = await Promise.all([
    repo.appliedMigrations(source),
    repo.appliedMigrations(target),
  ]);
  if (fromSchema.join() !== toSchema.join()) {
    throw new TransferRefused(
      `the two databases are at different migrations (source ${fromSchema.at(-1)}, target ${toSchema.at(-1)}): start the app once on the older one so it migrates`,
    );
  }
  const tables = (await repo.describeTables(source)).filter(
    (t) => options.includeSessions || !SESSION_TABLES.has(t.name),
  );
  for (const table of await repo.describeTables(target)) {
    const rows = await repo.countRows(target, table);
    if (rows > 0) throw new TransferRefused(`the target is not empty: ${table.name} has ${rows} rows`);
  }

  const report: TransferReport = { tables: [], dropsAudited: 0 };
  for (const table of tables) {
    let copied = 0;
    let after: unknown[] | undefined;
    for (;;) {
      const page = await repo.readPage(source, table, options.pageRows ?? 500, after);
      for (const chunk of bySize(page.json, MAX_STATEMENT_BYTES)) await repo.insertRows(target, table, chunk);
      copied += page.json.length;
      if (!page.lastKey) break;
      after = page.lastKey;
    }
    const [expected, landed] = await Promise.all([
      repo.countRows(source, table),
      repo.countRows(target, table),
    ]);
    if (expected !== copied || landed !== copied) {
      throw new Error(
        `${table.name}: source has ${expected} rows, ${copied} were read, the target has ${landed}`,
      );
    }
    log(`${table.name}: ${copied} rows`);
    report.tables.push({ name: table.name, rows: copied });
  }

  for (const dropId of await repo.listAllDropIds(source)) {
    const [before, after] = await Promise.all([booksOf(source, dropId), booksOf(target, dropId)]);
    const problem = auditProblem(before, after);
    if (problem) throw new Error(`drop ${dropId}: ${problem}`);
    report.dropsAudited++;
  }
  log(`${report.dropsAudited} drops audited on the target: every unit and order is where it was`);
  return report;
}

type Books = { audit: Audit; checkout: repo.CheckoutTotals };

async function booksOf(db: Database, dropId: string): Promise<Books | undefined> {
  const [audit, checkout] = await Promise.all([repo.auditDrop(db, dropId), repo.checkoutTotals(db, dropId)]);
  return audit && checkout && { audit, checkout };
}

function auditProblem(before: Books | undefined, after: Books | undefined): string | undefined {
  if (!before || !after) return "missing on the target";
  if (JSON.stringify(before) !== JSON.stringify(after)) {
    return `books differ: source ${JSON.stringify(before)}, target ${JSON.stringify(after)}`;
  }
  const { audit, checkout } = after;
  if (audit.oversold > 0 || audit.duplicateUnits > 0 || audit.sold + audit.remaining !== audit.quantity) {
    return `books do not balance: ${JSON.stringify(audit)}`;
  }
  // On a checkout drop every order is held or paid: one without a status would be an instant order.
  if (checkout.holdSeconds > 0 && checkout.held + checkout.paid !== audit.sold) {
    return `checkout orders without a status: ${JSON.stringify(after)}`;
  }
  return undefined;
}

/** Splits rows into runs whose JSON stays under `limit` bytes (a lone larger row goes alone). */
function* bySize(rows: string[], limit: number): Generator<string[]> {
  let run: string[] = [];
  let size = 0;
  for (const row of rows) {
    if (run.length > 0 && size + row.length > limit) {
      yield run;
      run = [];
      size = 0;
    }
    run.push(row);
    size += row.length;
  }
  if (run.length > 0) yield run;
}
