/**
 * The draw's arithmetic, public and pure: the server ranks with it, and `npm run draw:verify` checks with
 * the very same functions from the published record alone (docs/draws.md#the-formula).
 *
 * - seed: 32 random bytes as 64 lowercase hex characters, kept secret until the ranking is written;
 * - commitment = SHA-256(seed as UTF-8 text), hex: published when the drop is created, before entries open;
 * - score(entry) = HMAC-SHA256(key = seed as UTF-8, message = publicValue + ":" + entryRef), hex, where
 *   publicValue is the seller's named public value ("" when none was named) and entryRef the entry's id;
 * - rank: entries sorted by score ascending (ties, never seen in practice, by entryRef), rank 1 first.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";

export const newSeed = (): string => randomBytes(32).toString("hex");

export const commitmentOf = (seed: string): string => createHash("sha256").update(seed, "utf8").digest("hex");

export const scoreOf = (seed: string, publicValue: string, entryRef: string): string =>
  createHmac("sha256", Buffer.from(seed, "utf8")).update(`${publicValue}:${entryRef}`, "utf8").digest("hex");

/** The entry references in rank order (rank 1 first). */
export function rankEntries(seed: string, publicValue: string, entryRefs: readonly string[]): string[] {
  return entryRefs
    .map((ref) => ({ ref, score: scoreOf(seed, publicValue, ref) }))
    .sort((a, b) =>
      a.score < b.score ? -1 : a.score > b.score ? 1 : a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0,
    )
    .map((entry) => entry.ref);
}

/** What a published draw record must contain for anyone to check it. */
export interface PublishedDraw {
  commitment: string;
  seed: string | null;
  publicValue: string | null;
  entries: string[];
  ranking: string[];
}

/**
 * Every difference between a published record and its recomputation, in words (empty: the record checks out).
 * @example verifyDraw(await (await fetch(url)).json()) // []
 */
export function verifyDraw(record: PublishedDraw): string[] {
  const problems: string[] = [];
  if (!record.seed) return ["the seed is not revealed yet: the draw has not run"];
  if (commitmentOf(record.seed) !== record.commitment) {
    problems.push("SHA-256 of the revealed seed is not the commitment published before entries opened");
  }
  const entries = new Set(record.entries);
  if (entries.size !== record.entries.length) problems.push("an entry reference is listed twice");
  const ranked = new Set(record.ranking);
  if (
    ranked.size !== record.ranking.length ||
    ranked.size !== entries.size ||
    [...ranked].some((r) => !entries.has(r))
  ) {
    problems.push("the ranking does not hold exactly the frozen entries");
  }
  const expected = rankEntries(record.seed, record.publicValue ?? "", record.entries);
  const first = expected.findIndex((ref, i) => record.ranking[i] !== ref);
  if (first !== -1 || expected.length !== record.ranking.length) {
    const at = first === -1 ? expected.length : first;
    problems.push(`the ranking differs from the recomputed one from rank ${at + 1} on`);
  }
  return problems;
}
