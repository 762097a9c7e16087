import * as v from "valibot";

/**
 * "Safe text": the one building block every free-text input passes before anything else looks at it.
 * PostgreSQL cannot store NUL in `text` (it answered 500), a lone UTF-16 surrogate is not a character at
 * all (PGlite failed on some), and other control characters (C0 U+0000-U+001F, DEL, C1 U+0080-U+009F)
 * only serve to confuse logs, terminals and people. Each field states which of them it allows:
 * - `line`: none (names, titles, emails, passwords, fan identities, keys);
 * - `multiline`: tab, line feed and carriage return only (descriptions).
 */
export type TextKind = "line" | "multiline";

/** `\p{Cc}` is exactly C0, DEL and C1. */
const CONTROLS: Record<TextKind, RegExp> = {
  line: /\p{Cc}/u,
  multiline: /(?![\t\n\r])\p{Cc}/u,
};

const ALLOWED: Record<TextKind, string> = {
  line: "control characters are not allowed",
  multiline: "control characters other than tab and newline are not allowed",
};

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The reason `text` is not safe text of `kind`, or undefined when it is. */
export function unsafeTextReason(text: string, kind: TextKind): string | undefined {
  if (LONE_SURROGATE.test(text)) return "contains an invalid character (an unpaired surrogate)";
  const control = CONTROLS[kind].exec(text)?.[0];
  if (control !== undefined) {
    const code = control.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    return `contains the control character U+${code}: ${ALLOWED[kind]}`;
  }
  return undefined;
}

/**
 * A valibot action refusing unsafe text of `kind`, with "<label> contains ..." as the message. Put it
 * right after `v.string()`, before trimming or normalising, so the check sees what was sent.
 * @example v.pipe(v.string("title is required"), safeText("title", "line"), v.trim())
 */
export function safeText(label: string, kind: TextKind) {
  return v.rawCheck<string>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const reason = unsafeTextReason(dataset.value, kind);
    if (reason) addIssue({ message: `${label} ${reason}` });
  });
}
