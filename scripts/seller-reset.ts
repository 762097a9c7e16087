/**
 * `npm run seller:reset -- EMAIL`: gives the seller a new random password and prints it, once; every
 * session of the seller ends. The way back in when the demo seller's password (printed only at the first
 * start, on a terminal) or any seller's password is lost. On the embedded database stop `npm start` first:
 * a data folder is opened by one process at a time.
 *
 *   npm run seller:reset -- demo@dropfront.test
 */
import { parseArgs } from "node:util";
import * as v from "valibot";
import { loadConfig } from "../src/config";
import { openDatabase } from "../src/db/open";
import { createSellerAccounts } from "../src/domain/accounts/seller-account";
import { NotFound } from "../src/domain/errors";
import { Email } from "../src/http/schemas";

const { positionals } = parseArgs({ allowPositionals: true, strict: true });

async function main(): Promise<number> {
  const email = v.safeParse(Email, positionals[0] ?? "");
  if (positionals.length !== 1 || !email.success) {
    console.error("usage: npm run seller:reset -- EMAIL");
    return 64;
  }
  const config = loadConfig();
  const db = await openDatabase(config.database);
  try {
    const password = await createSellerAccounts(db).resetPassword(email.output);
    const base = config.publicUrl ?? `http://${config.host}:${config.port}`;
    console.log(`New password for ${email.output}: ${password}`);
    console.log(`Sign in at ${base}/seller/sign-in (every earlier session of this seller has ended).`);
    return 0;
  } catch (error) {
    if (!(error instanceof NotFound)) throw error;
    console.error(`seller:reset: no seller has the email ${email.output}`);
    return 1;
  } finally {
    await db.close();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`seller:reset: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 2;
}
