/**
 * `npm run draw:verify -- <url>`: checks a draw from its published record alone (GET /api/drops/:id/draw),
 * with no access to the shop's database: the revealed seed hashes to the commitment published before
 * entries opened, and the ranking is exactly the one the formula gives for the frozen entries and the
 * public value (docs/draws.md#the-formula). A saved copy of the record (a file path) is checked the same way.
 *
 *   npm run draw:verify -- https://shop.example.com/api/drops/3f0c…/draw
 *
 * Exit status: 0 the record checks out; 1 it differs (each difference is printed); 2 it could not be read.
 */
import { readFile } from "node:fs/promises";
import { type PublishedDraw, verifyDraw } from "../src/domain/fairness/draw-ranking";

async function readRecord(where: string): Promise<PublishedDraw> {
  if (/^https?:\/\//i.test(where)) {
    const response = await fetch(where, { headers: { accept: "application/json" } });
    if (!response.ok) throw new Error(`${where} answered ${response.status}`);
    return (await response.json()) as PublishedDraw;
  }
  return JSON.parse(await readFile(where, "utf8")) as PublishedDraw;
}

const where = process.argv[2];
if (!where) {
  console.error("usage: npm run draw:verify -- <draw record url or file>");
  process.exit(2);
}
let record: PublishedDraw;
try {
  record = await readRecord(where);
} catch (error) {
  console.error(`could not read the draw record: ${error instanceof Error ? error.message : error}`);
  process.exit(2);
}
const problems = verifyDraw(record);
if (problems.length > 0) {
  for (const problem of problems) console.error(`DIFFERS: ${problem}`);
  process.exit(1);
}
console.log(
  `OK: the seed matches the commitment ${record.commitment.slice(0, 16)}…, and the ranking of all ` +
    `${record.entries.length} entries is the one the formula gives (public value ${JSON.stringify(record.publicValue ?? "")}).`,
);
