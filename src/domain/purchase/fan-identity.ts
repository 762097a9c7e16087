/**
 * Fan identities (an email or a handle) and the per-fan limit. A fan types an identity; we keep a readable
 * form of it to show (`shownIdentity`) and derive from that a coarse key that only the limit compares
 * (`identityKey`), so that spellings a person reads as the same share one limit. See docs/identity.md.
 */
import unhomoglyph from "unhomoglyph";

/**
 * Characters an identity may not contain at all, because a reader cannot see them or they mean nothing
 * yet: default-ignorable code points (zero-width space and joiners, soft hyphen, BOM, variation selectors,
 * Hangul fillers ...), format characters (bidi controls, tags), private-use and unassigned code points, and
 * U+2800 BRAILLE PATTERN BLANK, which renders as a space but is a symbol. Control characters and lone
 * surrogates are refused earlier, by safeText.
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Co}\p{Cn}\u2800]/u;

/** The reason `text` cannot be an identity, or undefined when it can. */
export function identityRefusal(text: string): string | undefined {
  const found = INVISIBLE.exec(text)?.[0];
  if (found === undefined) return undefined;
  const code = found.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
  return `contains U+${code}, an invisible or private-use character: type it without it`;
}

/**
 * An email address as the shop writes to it and a verified fan's token names it: compatibility-normalised
 * (NFKC folds fullwidth letters, ligatures and the like to their plain forms), lower-cased, normalised again
 * (lower-casing can leave a non-NFKC string) and trimmed.
 * @example shownIdentity(" ＡＤＡ@Example.com ") // "ada@example.com"
 */
export function shownIdentity(text: string): string {
  return text.normalize("NFKC").toLowerCase().normalize("NFKC").trim();
}

/**
 * The identity a fan types to buy, join a waitlist or enter a draw, as the order keeps and shows it:
 * NFKC-normalised and trimmed, its letter case kept (issue 18 §3: the seller's CSV shows the fan as they
 * typed it; only the limit's key, `identityKey`, ignores case).
 * @example typedIdentity(" ＡＤＡ@Example.com ") // "ADA@Example.com"
 */
export function typedIdentity(text: string): string {
  return text.normalize("NFKC").trim();
}

/** Spaces of every kind: "ada @example.com" with a hair space is the same fan. */
const WHITE_SPACE = /\p{White_Space}/gu;
/** The ideographic full stop is a label separator in domain names (UTS #46), like ".". */
const IDEOGRAPHIC_FULL_STOP = /[\u3002\uff61]/g;
/** Nonspacing marks, after NFD: a dot below or an accent does not make another fan. */
const NONSPACING_MARKS = /\p{Mn}/gu;

/** The UTS #39 confusables skeleton: NFD, the confusables.txt mapping, NFD again. */
const skeleton = (text: string) => unhomoglyph(text.normalize("NFD")).normalize("NFD");

/**
 * The key the per-fan limit compares: never shown, deliberately coarse. Two identities that look alike
 * have one key: spaces removed, the Unicode confusables skeleton (UTS #39, confusables.txt through the
 * `unhomoglyph` package) of the lower-case and then of the upper-case form (so that a look-alike of a
 * capital, as the palochka "ӏ" is of "l", meets the letter too), nonspacing marks dropped, and an email's
 * trailing dot (an absolute domain name, the same address) removed.
 * @example identityKey("ada@exampӏe.cοm.") === identityKey("ADA@example.com") // true
 */
export function identityKey(shown: string): string {
  let key = recentKeys.get(shown);
  if (key === undefined) {
    key = skeletonKey(shown);
    // Oldest first out: a Map iterates in insertion order. Bounded, so a flood of new names costs no memory.
    if (recentKeys.size >= RECENT_KEYS) recentKeys.delete(recentKeys.keys().next().value!);
    recentKeys.set(shown, key);
  }
  return key;
}

/**
 * The keys of the identities seen last. A purchase needs its fan's key twice (the request's validation
 * refuses an identity whose key is empty, then the limit compares it) and a fan who retries needs it again;
 * the skeleton is about 2-4 µs of a purchase's CPU, a hit well under one.
 */
const RECENT_KEYS = 4096;
const recentKeys = new Map<string, string>();

function skeletonKey(shown: string): string {
  const spaced = shown.normalize("NFKC").replace(WHITE_SPACE, "").replace(IDEOGRAPHIC_FULL_STOP, ".");
  const lower = skeleton(spaced.toLowerCase());
  const key = skeleton(lower.toUpperCase()).toLowerCase().normalize("NFD").replace(NONSPACING_MARKS, "");
  return (key.includes("@") ? key.replace(/\.+$/, "") : key).normalize("NFC");
}
