import { createHash } from "node:crypto";

/** How many of a sold-out drop's keys are read per statement while the index is built. */
export const WINNER_KEYS_PAGE = 5000;

/** 48 bits of SHA-256: for a million keys a stranger's key collides with odds of about 4 in a billion. */
function keyHash(key: string): number {
  return createHash("sha256").update(key).digest().readUIntBE(0, 6);
}

/**
 * The idempotency keys that bought a sold-out drop, as sorted 48-bit hashes (8 bytes a key: a
 * million-unit drop costs 8 MB). Once a drop is sold out its orders never change, so the set is final:
 * a key that is not in it certainly did not buy, and its "sold out" needs no query at all. A key that
 * may be in it is looked up in the database, which returns the order a retrying winner is owed.
 */
export class WinnerKeys {
  private constructor(private readonly hashes: Float64Array) {}

  get size(): number {
    return this.hashes.length;
  }

  /**
   * Reads every key of the drop, page by page, through `readPage(afterKey)` (keys in ascending order).
   * @example const winners = await WinnerKeys.load((after) => repo.listOrderKeys(db, dropId, after, WINNER_KEYS_PAGE));
   */
  static async load(readPage: (afterKey: string | undefined) => Promise<string[]>): Promise<WinnerKeys> {
    const hashes: number[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await readPage(after);
      for (const key of page) hashes.push(keyHash(key));
      if (page.length < WINNER_KEYS_PAGE) break;
      after = page.at(-1);
    }
    return new WinnerKeys(Float64Array.from(hashes).sort());
  }

  mayContain(key: string): boolean {
    const wanted = keyHash(key);
    let low = 0;
    let high = this.hashes.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const value = this.hashes[middle]!;
      if (value === wanted) return true;
      if (value < wanted) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }
}
