import { describe, expect, it } from "vitest";
import { WINNER_KEYS_PAGE, WinnerKeys } from "../src/domain/purchase/winner-keys";

describe("winner keys of a sold-out drop", () => {
  it("knows every winner's key and turns strangers away, across pages", async () => {
    const keys = Array.from(
      { length: WINNER_KEYS_PAGE * 2 + 17 },
      (_, i) => `key-${String(i).padStart(6, "0")}`,
    );
    const asked: (string | undefined)[] = [];
    const winners = await WinnerKeys.load(async (after) => {
      asked.push(after);
      const start = after === undefined ? 0 : keys.indexOf(after) + 1;
      return keys.slice(start, start + WINNER_KEYS_PAGE);
    });
    expect(winners.size).toBe(keys.length);
    expect(asked).toEqual([undefined, keys[WINNER_KEYS_PAGE - 1], keys[2 * WINNER_KEYS_PAGE - 1]]);
    expect(keys.every((key) => winners.mayContain(key))).toBe(true);
    const strangers = Array.from({ length: 5000 }, (_, i) => `stranger-${i}`);
    expect(strangers.filter((key) => winners.mayContain(key))).toEqual([]);
  });

  it("an empty drop has no winners", async () => {
    const winners = await WinnerKeys.load(async () => []);
    expect(winners.size).toBe(0);
    expect(winners.mayContain("anything")).toBe(false);
  });
});
