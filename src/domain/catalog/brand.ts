import * as v from "valibot";
import type { DropImage } from "./images";

/**
 * A shop's own look on fan pages: the seller picks an accent colour; the page derives from it the text
 * colour on accent-filled buttons and the shade of the accent used as link text, so both keep WCAG AA
 * contrast (4.5:1) whatever was picked. Pure functions: no database, no clock.
 */

/** A link in the shop's header: a label the seller wrote and an http(s) address. */
export interface BrandLink {
  label: string;
  url: string;
}

/** A picture as the brand stores it: its id in image_files and every encoded width. */
export interface BrandPicture {
  id: string;
  files: { width: number; height: number; contentHash: string }[];
}

export interface ShopBrand {
  /** "#1a2b3c", lower case; undefined keeps the site's own accent. */
  accent?: string | undefined;
  bio: string;
  links: BrandLink[];
  logo?: DropImage | undefined;
  banner?: DropImage | undefined;
}

export const EMPTY_BRAND: ShopBrand = { bio: "", links: [] };

/** WCAG AA for normal text. */
export const AA = 4.5;

/** The backgrounds accent-coloured text sits on: the page and cards, light scheme and dark scheme. */
export const LIGHT_BACKGROUNDS = ["#f7f7f8", "#ffffff"] as const;
export const DARK_BACKGROUNDS = ["#111114", "#1b1b20"] as const;

export const HEX_COLOUR = /^#[0-9a-f]{6}$/;

type Rgb = [number, number, number];

function rgbOf(hex: string): Rgb {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const hexOf = (rgb: Rgb) => `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, "0")).join("")}`;

/** WCAG 2 relative luminance of a "#rrggbb" colour. */
export function luminance(hex: string): number {
  const [r, g, b] = rgbOf(hex).map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * The WCAG 2 contrast ratio of two colours, 1 to 21.
 * @example contrastRatio("#ffffff", "#000000") // 21
 */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * The text colour on an accent-filled surface: white where it reaches AA, black otherwise. One of the
 * two always does (the worse of the best is about 4.58:1, at a mid grey).
 * @example inkOn("#ffd400") // "#000000"
 */
export function inkOn(accent: string): "#ffffff" | "#000000" {
  return contrastRatio(accent, "#ffffff") >= AA ? "#ffffff" : "#000000";
}

/**
 * The accent as a text colour on these backgrounds: the accent itself when it already reaches AA on each,
 * else mixed toward black (on light backgrounds) or white (on dark ones) just far enough that it does.
 * @example accentAsText("#ffd400", LIGHT_BACKGROUNDS) // a dark gold that reads on white
 */
export function accentAsText(accent: string, backgrounds: readonly string[]): string {
  const towards: Rgb = luminance(backgrounds[0]!) > 0.5 ? [0, 0, 0] : [255, 255, 255];
  const from = rgbOf(accent);
  for (let step = 0; step <= 100; step += 2) {
    const t = step / 100;
    const mixed = hexOf(from.map((c, i) => c + (towards[i]! - c) * t) as Rgb);
    if (backgrounds.every((bg) => contrastRatio(mixed, bg) >= AA)) return mixed;
  }
  return hexOf(towards);
}

/**
 * The stylesheet that gives a page the shop's accent (served from this origin, since the CSP allows no
 * inline style): the accent and the ink on it for buttons, a text shade for links in each scheme.
 */
export function brandStylesheet(accent: string): string {
  return [
    `:root{--accent:${accent};--accent-ink:${inkOn(accent)};--accent-text:${accentAsText(accent, LIGHT_BACKGROUNDS)}}`,
    `@media (prefers-color-scheme: dark){:root{--accent:${accent};--accent-ink:${inkOn(accent)};` +
      `--accent-text:${accentAsText(accent, DARK_BACKGROUNDS)}}}`,
    "",
  ].join("\n");
}

/** Where a page finds the accent's stylesheet: the colour is the address, so it never changes. */
export const brandStylesheetUrl = (accent: string) => `/brand/${accent.slice(1)}.css`;

/** Links as stored: parsed again on every read, so a row edited by hand can never put a script: URL on a page. */
const StoredLinks = v.array(
  v.object({
    label: v.pipe(v.string(), v.maxLength(40)),
    url: v.pipe(v.string(), v.maxLength(300), v.url(), v.regex(/^https?:\/\//i)),
  }),
);

const StoredPicture = v.object({
  id: v.pipe(v.string(), v.uuid()),
  files: v.pipe(
    v.array(
      v.object({
        width: v.pipe(v.number(), v.integer(), v.minValue(1)),
        height: v.pipe(v.number(), v.integer(), v.minValue(1)),
        contentHash: v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/)),
      }),
    ),
    v.minLength(1),
  ),
});

/** The stored links, or none when the text is not what the form writes. */
export function parseStoredLinks(text: string): BrandLink[] {
  try {
    const parsed = v.safeParse(StoredLinks, JSON.parse(text));
    return parsed.success ? parsed.output : [];
  } catch {
    return [];
  }
}

/** A stored picture descriptor, or undefined when absent or not what the upload writes. */
export function parseStoredPicture(text: string | null): BrandPicture | undefined {
  if (!text) return undefined;
  try {
    const parsed = v.safeParse(StoredPicture, JSON.parse(text));
    return parsed.success ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}
