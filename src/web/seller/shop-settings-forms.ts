import * as v from "valibot";
import { type BrandLink, HEX_COLOUR } from "../../domain/catalog";
import { safeText } from "../../http/safe-text";
import { type FormErrors, formErrors, type Parsed } from "./seller-forms";

/** How many links a shop shows under its name. */
export const MAX_BRAND_LINKS = 4;
export const MAX_BIO_LENGTH = 280;

export interface BrandForm {
  accent: string | undefined;
  bio: string;
  links: BrandLink[];
}

const isWebAddress = (text: string) => {
  if (!/^https?:\/\//i.test(text)) return false;
  try {
    return ["http:", "https:"].includes(new URL(text).protocol);
  } catch {
    return false;
  }
};

const LinkLabel = v.pipe(
  v.string(),
  safeText("label", "line"),
  v.trim(),
  v.maxLength(40, "keep the label under 40 characters"),
);
const LinkUrl = v.pipe(
  v.string(),
  safeText("address", "line"),
  v.trim(),
  v.maxLength(300, "keep the address under 300 characters"),
  v.check((text) => text === "" || isWebAddress(text), "the address must start with https:// (or http://)"),
);

const BrandFields = v.object({
  accent: v.optional(
    v.pipe(v.string(), v.trim(), v.toLowerCase(), v.regex(HEX_COLOUR, "pick a colour like #1a2b3c")),
  ),
  keepSiteAccent: v.optional(v.string()),
  bio: v.optional(
    v.pipe(
      v.string(),
      safeText("bio", "multiline"),
      v.trim(),
      v.maxLength(MAX_BIO_LENGTH, `keep the bio under ${MAX_BIO_LENGTH} characters`),
    ),
    "",
  ),
  ...Object.fromEntries(
    Array.from({ length: MAX_BRAND_LINKS }, (_, i) => [
      [`link${i + 1}Label`, v.optional(LinkLabel, "")],
      [`link${i + 1}Url`, v.optional(LinkUrl, "")],
    ]).flat(),
  ),
});

/**
 * The shop settings form: every field checked at once (all problems in one round), links as up to four
 * label/address rows, http(s) only; an address without a label is labelled by its host name.
 */
export function parseBrandForm(form: Record<string, string>): Parsed<BrandForm> {
  const result = v.safeParse(BrandFields, form);
  const errors: FormErrors = result.success
    ? {}
    : formErrors(result.issues.map((issue) => ({ path: v.getDotPath(issue) ?? "", message: issue.message })));
  // A label without an address is checked on the raw form too, so it is reported in the same round.
  for (let i = 1; i <= MAX_BRAND_LINKS; i++) {
    const label = (form[`link${i}Label`] ?? "").trim();
    const url = (form[`link${i}Url`] ?? "").trim();
    if (url === "" && label !== "") errors[`link${i}Url`] ??= "Add the address this link goes to";
  }
  if (!result.success || Object.keys(errors).length > 0) return { ok: false, errors };
  const fields = result.output as Record<string, string | undefined>;
  const links: BrandLink[] = [];
  for (let i = 1; i <= MAX_BRAND_LINKS; i++) {
    const url = fields[`link${i}Url`] ?? "";
    if (url !== "") links.push({ label: fields[`link${i}Label`] || new URL(url).hostname, url });
  }
  const { accent, keepSiteAccent, bio } = result.output;
  return { ok: true, value: { accent: keepSiteAccent ? undefined : accent, bio, links } };
}
