/**
 * Spellings of "ada@example.com" from the second outside review (issue 15 §3: eight of its 28 bought again
 * on a one-per-fan drop), reconstructed, plus invisible characters that must be refused outright.
 */
export const LOOK_ALIKES: Record<string, string> = {
  "upper case": "ADA@Example.COM",
  "spaces and a no-break space around": "  ada@example.com\u00a0",
  "fullwidth letters": "\uff41\uff44\uff41@example.com",
  "fullwidth commercial at": "ada\uff20example.com",
  "Cyrillic а (U+0430)": "\u0430da@example.com",
  "mixed Cyrillic palochka and Greek omicron": "ada@examp\u04cfe.c\u03bfm",
  "a hair space inside": "ad\u200aa@example.com",
  "an Ogham space inside": "ada@\u1680example.com",
  "a no-break space inside": "ada\u00a0@example.com",
  "an ideographic space after": "ada@example.com\u3000",
  "a trailing combining dot below": "ada@example.com\u0323",
  "a trailing dot on the domain": "ada@example.com.",
  "Cyrillic е х а р о с in the domain": "ada@\u0435\u0445\u0430m\u0440le.\u0441\u043em",
  "Latin alpha": "\u0251da@example.com",
  "mathematical sans-serif a": "\u{1d5ba}da@example.com",
  "circled a": "\u24d0da@example.com",
  "superscript a": "\u1d43da@example.com",
  "an ideographic full stop": "ada@example\u3002com",
  "capital I for l": "ada@exampIe.com",
  "digit one for l": "ada@examp1e.com",
  "r n for m": "ada@exarnple.com",
  "small roman numeral one thousand for m": "ada@exa\u217fple.com",
  "an accent": "ada@\u00e9xample.com",
  "a decomposed accent": "ada@e\u0301xample.com",
  "Greek omicron only": "ada@example.c\u03bfm",
  "Cyrillic о only": "ada@example.c\u043em",
  "Cyrillic а in the domain": "ada@ex\u0430mple.com",
};

/** Spellings with a character no one can see or that means nothing: refused outright. */
export const INVISIBLES: Record<string, string> = {
  "a trailing braille pattern blank (U+2800)": "ada@example.com\u2800",
  "a trailing private-use character (U+E000)": "ada@example.com\ue000",
  "a zero-width space": "ada\u200b@example.com",
  "a soft hyphen": "ad\u00ada@example.com",
  "a byte order mark": "\ufeffada@example.com",
  "a word joiner": "ada@example.com\u2060",
  "a zero-width joiner": "a\u200dda@example.com",
  "a combining grapheme joiner": "ada@ex\u034fample.com",
  "a right-to-left override": "ada@\u202eexample.com",
  "a Hangul filler": "ada\u3164@example.com",
  "a tag character": "ada@example.com\u{e0041}",
  "a variation selector": "ada\ufe0f@example.com",
  "a Mongolian vowel separator": "ada\u180e@example.com",
  "a supplementary private-use character": "ada@example.com\u{f0000}",
};
