import { describe, expect, it } from "vitest";
import {
  identityKey,
  identityRefusal,
  shownIdentity,
  typedIdentity,
} from "../src/domain/purchase/fan-identity";
import { INVISIBLES, LOOK_ALIKES } from "./support/look-alikes";

/**
 * Issue 15 §3: look-alike spellings of one fan that bought again on a one-per-fan drop. Every spelling a
 * person reads as "ada@example.com" has that address's key; invisible and private-use characters are
 * refused before any key is made. The API test (abuse-input.test.ts) buys with the same spellings.
 */
describe("fan identities", () => {
  const base = identityKey(shownIdentity("ada@example.com"));

  it.each(Object.entries(LOOK_ALIKES))("%s has the key of ada@example.com", (_, spelling) => {
    expect(identityRefusal(spelling)).toBeUndefined();
    expect(identityKey(shownIdentity(spelling))).toBe(base);
  });

  it.each(Object.entries(INVISIBLES))("%s is refused", (_, spelling) => {
    expect(identityRefusal(spelling)).toMatch(
      /^contains U\+[0-9A-F]{4,5}, an invisible or private-use character/,
    );
  });

  it("keeps different people apart", () => {
    const keys = [
      "ada@example.com",
      "bob@example.com",
      "ada@example.org",
      "ada2@example.com",
      "иван@example.ru",
    ];
    expect(new Set(keys.map((fan) => identityKey(shownIdentity(fan)))).size).toBe(keys.length);
  });

  it("shows what the fan typed, only normalised, and the key is stable", () => {
    expect(shownIdentity(" ＡＤＡ@Example.com ")).toBe("ada@example.com");
    expect(shownIdentity("Иван@example.ru")).toBe("иван@example.ru");
    // What a buyer typed keeps its letter case (the seller's CSV shows it so); only the limit's key ignores it.
    expect(typedIdentity(" ＡＤＡ@Example.com ")).toBe("ADA@Example.com");
    expect(typedIdentity("Иван@example.ru")).toBe("Иван@example.ru");
    expect(identityKey(typedIdentity("ADA@Example.com"))).toBe(identityKey(typedIdentity("ada@example.com")));
    const key = identityKey("ada@exampӏe.cοm.");
    expect(identityKey(key)).toBe(key);
  });
});
