/**
 * The order-management inputs (issue 18 §2, §3): the fan's shipping address and the seller's fulfilment.
 * The API and the pages' forms share these, so a field is refused for the same reason everywhere.
 */
import * as v from "valibot";
import { COUNTRY_CODES } from "../domain/orders/countries";
import { safeText } from "./safe-text";

/**
 * Letters (any script), marks, digits, spaces and the punctuation addresses use. Markup characters (< > ")
 * and the like are refused: an address is shown on pages, in emails and in a spreadsheet, and is never
 * trusted as HTML anyway (pages escape it; the CSV neutralises formulas).
 */
const ADDRESS_CHARACTERS = /^[\p{L}\p{M}\p{N} .,'’\-/#&()°ºª]*$/u;

const addressText = (field: string, label: string, min: number, max: number) =>
  v.pipe(
    v.string(`${field} must be text`),
    safeText(field, "line"),
    v.trim(),
    v.normalize("NFC"),
    v.minLength(min, `${label} is required`),
    v.maxLength(max, `${label} must be at most ${max} characters`),
    v.regex(ADDRESS_CHARACTERS, `${label} may hold letters, digits, spaces and . , ' - / # & ( ) only`),
  );

/** A shipping address; line2 and the postal code may be empty (many countries have no postal codes). */
export const ShippingBody = v.object({
  name: addressText("name", "Name", 1, 100),
  line1: addressText("line1", "Address", 1, 200),
  line2: v.optional(addressText("line2", "Address line 2", 0, 200), ""),
  city: addressText("city", "City", 1, 100),
  postalCode: v.optional(
    v.pipe(
      v.string("postalCode must be text"),
      safeText("postalCode", "line"),
      v.trim(),
      v.toUpperCase(),
      v.maxLength(12, "Postal code must be at most 12 characters"),
      v.regex(/^[A-Z0-9 -]*$/, "Postal code may hold letters, digits, spaces and - only"),
    ),
    "",
  ),
  country: v.pipe(
    v.string("country must be text"),
    v.trim(),
    v.toUpperCase(),
    v.check((code) => COUNTRY_CODES.has(code), "Choose a country (an ISO 3166-1 two-letter code, e.g. GB)"),
  ),
});

/** An absolute https URL with a dotted host name and no user name or password in it. */
export function isHttpsUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "https:" && url.hostname.includes(".") && !url.username && !url.password;
  } catch {
    return false;
  }
}

/** `trackingUrl`: the carrier's tracking page, https only, at most 500 characters; empty or absent for none. */
export const FulfilBody = v.object({
  trackingUrl: v.optional(
    v.pipe(
      v.string("trackingUrl must be text"),
      safeText("trackingUrl", "line"),
      v.trim(),
      v.maxLength(500, "trackingUrl must be at most 500 characters"),
      v.check(
        (url) => url === "" || isHttpsUrl(url),
        "trackingUrl must be an https:// address like https://carrier.example/track/123",
      ),
    ),
    "",
  ),
});
