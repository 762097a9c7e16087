import * as v from "valibot";
import type { Clock } from "../domain/clock";
import { identityKey, identityRefusal, MAX_VARIANTS, typedIdentity } from "../domain/purchase";
import { safeText } from "./safe-text";

/**
 * Every input the JSON API accepts. Messages are shown to people: say what is wrong and what is allowed.
 * Every free-text field passes `safeText` first (see safe-text.ts): no control characters and no unpaired
 * surrogates, except that descriptions may hold tab and newline. docs/api.md lists each field.
 */

const wholeNumber = (label: string, min: number, max: number) =>
  v.pipe(
    v.number(`${label} must be a number`),
    v.integer(`${label} must be a whole number`),
    v.minValue(min, `${label} must be at least ${min}`),
    v.maxValue(max, `${label} must be at most ${max.toLocaleString("en-US")}`),
  );

export const Email = v.pipe(
  v.string("email is required"),
  safeText("email", "line"),
  v.trim(),
  v.toLowerCase(),
  v.maxLength(254, "email is too long"),
  v.email("email must be a valid address"),
);

export const Password = v.pipe(
  v.string("password is required"),
  safeText("password", "line"),
  v.minLength(10, "password must be at least 10 characters"),
  v.maxLength(200, "password must be at most 200 characters"),
);

export const SellerSignup = v.object({
  email: Email,
  password: Password,
  name: v.pipe(
    v.string("name is required"),
    safeText("name", "line"),
    v.trim(),
    v.minLength(1, "name is required"),
    v.maxLength(100),
  ),
});

const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * Whether every field of an ISO 8601 instant names a real reading: JavaScript's Date quietly rolls
 * 2027-02-30 over to 2 March and T24:00 to the next day, and accepts any offset up to +99:99. Real UTC
 * offsets run from -12:00 to +14:00 (the IANA time-zone database), minutes below 60.
 */
function isRealInstant(text: string): boolean {
  const m = INSTANT.exec(text);
  if (!m) return true; // not the format at all: the regex before this says so, once

  const [year, month, day, hour, minute, second = 0, , offsetHours = 0, offsetMinutes = 0] = m
    .slice(1)
    .map((part) => (part === undefined || part === "+" || part === "-" ? undefined : Number(part)));
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  const offset = offsetHours * 60 + offsetMinutes;
  const maxOffset = m[7] === "-" ? 12 * 60 : 14 * 60;
  return (
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= daysInMonth &&
    hour! <= 23 &&
    minute! <= 59 &&
    second <= 59 &&
    offsetMinutes <= 59 &&
    offset <= maxOffset
  );
}

/**
 * An ISO 8601 instant that names its offset ("Z" or "+02:00"), so nobody's clock guesses the time zone;
 * within ten years of `clock`'s now.
 */
export const instant = (clock: Clock) =>
  v.pipe(
    v.string("startsAt is required"),
    v.trim(),
    v.regex(INSTANT, "startsAt must be an ISO 8601 time with an offset, e.g. 2026-12-01T18:00:00Z"),
    v.check(
      isRealInstant,
      "startsAt is not a real date and time (check the day of the month, hours 00-23, and an offset between -12:00 and +14:00)",
    ),
    v.transform((text) => new Date(text)),
    v.check((date) => !Number.isNaN(date.getTime()), "startsAt is not a real date"),
    v.check((date) => Math.abs(date.getTime() - clock()) < TEN_YEARS_MS, "startsAt must be within ten years"),
  );

export const Currency = v.pipe(
  v.string("currency must be a 3-letter code"),
  v.trim(),
  v.regex(/^[A-Za-z]{3}$/, "currency must be a 3-letter ISO 4217 code such as USD"),
  v.toUpperCase(),
);

/** How far in the past a go-live may be and still mean "now" (clocks and slow requests differ a little). */
export const PAST_GO_LIVE_GRACE_MS = 5 * 60 * 1000;

/** A go-live for a new or edited drop: not more than a few minutes before `clock`'s now, which is surely a mistake. */
export const goLive = (clock: Clock) =>
  v.pipe(
    instant(clock),
    v.check(
      (date) => date.getTime() >= clock() - PAST_GO_LIVE_GRACE_MS,
      "startsAt is in the past; leave it out to go live now",
    ),
  );

/** Minutes a win is held for payment; 0 is instant orders. Shared by the API and the seller's forms. */
export const HOLD_MINUTES = wholeNumber("holdMinutes", 0, 60);
const VERIFIED_FANS = v.boolean("verifiedFans must be true or false");

/** The fields a seller sets that do not depend on the clock, shared by the API and the seller's forms. */
export const DROP_FIELDS = {
  title: v.pipe(
    v.string("title is required"),
    safeText("title", "line"),
    v.trim(),
    v.minLength(1, "title is required"),
    v.maxLength(120),
  ),
  description: v.pipe(
    v.string("description must be text"),
    safeText("description", "multiline"),
    v.trim(),
    v.maxLength(5000),
  ),
  priceCents: wholeNumber("priceCents", 0, 100_000_000),
  currency: Currency,
  quantity: wholeNumber("quantity", 1, 1_000_000),
  maxPerFan: wholeNumber("maxPerFan", 1, 1000),
};

/** One variant (size, colour) of a new drop: its name, its own quantity and, if it differs, its own price. */
export const VariantBody = v.object({
  name: v.pipe(
    v.string("variant name is required"),
    safeText("variant name", "line"),
    v.trim(),
    v.minLength(1, "variant name is required"),
    v.maxLength(40, "variant name must be at most 40 characters"),
  ),
  quantity: wholeNumber("variant quantity", 1, 1_000_000),
  priceCents: v.optional(wholeNumber("variant priceCents", 0, 100_000_000)),
});

/** 1..20 variants with distinct names (compared without case). */
export const VariantsBody = v.pipe(
  v.array(VariantBody, "variants must be a list"),
  v.minLength(1, "variants needs at least one variant"),
  v.maxLength(MAX_VARIANTS, `a drop has at most ${MAX_VARIANTS} variants`),
  v.check(
    (list) => new Set(list.map((variant) => variant.name.toLowerCase())).size === list.length,
    "variant names must differ",
  ),
);

/** One size in an edit of a drop's sizes: `id` keeps a size the drop has (with its orders and place). */
export const VariantEditBody = v.object({
  ...VariantBody.entries,
  id: v.optional(
    v.pipe(
      v.string("variant id must be a uuid"),
      v.uuid("variant id must be a uuid"),
      v.transform((id) => id.toLowerCase()),
    ),
  ),
});

/** The whole list of sizes as it should be after an edit; null: one unnamed size (before go-live). */
export const VariantEditsBody = v.nullable(
  v.pipe(
    v.array(VariantEditBody, "variants must be a list"),
    v.minLength(1, "variants needs at least one variant (null makes the drop one unnamed size)"),
    v.maxLength(MAX_VARIANTS, `a drop has at most ${MAX_VARIANTS} variants`),
    v.check(
      (list) => new Set(list.map((variant) => variant.name.toLowerCase())).size === list.length,
      "variant names must differ",
    ),
    v.check(
      (list) => new Set(list.flatMap((variant) => variant.id ?? [])).size === list.filter((x) => x.id).length,
      "a variant id is given twice",
    ),
  ),
);

/**
 * How a drop sells: "first_come" (the default) or "draw" (docs/draws.md), with when entries close and,
 * optionally, the public value the seller will publish after the close to be mixed into the draw.
 */
export const DRAW_FIELDS = (clock: Clock) => ({
  sale: v.optional(v.picklist(["first_come", "draw"], 'sale must be "first_come" or "draw"')),
  entriesCloseAt: v.optional(
    v.pipe(
      v.string("entriesCloseAt must be an ISO 8601 time"),
      v.trim(),
      v.regex(INSTANT, "entriesCloseAt must be an ISO 8601 time with an offset, e.g. 2026-12-01T18:00:00Z"),
      v.transform((text) => new Date(text)),
      v.check((date) => !Number.isNaN(date.getTime()), "entriesCloseAt is not a real date"),
      v.check((date) => date.getTime() > clock(), "entriesCloseAt must be in the future"),
      v.check((date) => date.getTime() - clock() < TEN_YEARS_MS, "entriesCloseAt must be within ten years"),
    ),
  ),
  drawPublicValue: v.optional(
    v.pipe(
      v.string("drawPublicValue must be text"),
      safeText("drawPublicValue", "line"),
      v.trim(),
      v.minLength(1, "drawPublicValue must name the value, e.g. the EuroMillions draw of 12 December"),
      v.maxLength(200),
    ),
  ),
});

/**
 * The bodies that create and edit a drop, checked against `clock` (the app's one clock, injected by tests).
 * @example const { NewDropBody } = dropBodies(() => Date.now())
 */
export function dropBodies(clock: Clock) {
  const startsAt = goLive(clock);
  /** A new drop. `startsAt` may be left out to go live at once. */
  const NewDropBody = v.object({
    ...DROP_FIELDS,
    /** With `variants`, the sum of their quantities (may be left out). */
    quantity: v.optional(DROP_FIELDS.quantity),
    /** Sizes, colours: each sold exactly on its own; absent, the drop is one variant of `quantity`. */
    variants: v.optional(VariantsBody),
    description: v.optional(DROP_FIELDS.description, ""),
    currency: v.optional(DROP_FIELDS.currency, "USD"),
    startsAt: v.optional(startsAt),
    maxPerFan: v.optional(DROP_FIELDS.maxPerFan, 1),
    /** Checkout: minutes a win is held for payment (1-60); 0, the default, is instant orders. */
    holdMinutes: v.optional(HOLD_MINUTES),
    ...DRAW_FIELDS(clock),
    /** Only verified fans may buy (issue 17 §1): a purchase needs a fan token. */
    verifiedFans: v.optional(VERIFIED_FANS),
    /** Ask each buyer where to ship their unit: with payment on a hold drop, on the receipt otherwise. */
    collectShipping: v.optional(v.boolean("collectShipping must be true or false")),
  });

  /** A change to a drop (PATCH): any of the create fields; unknown fields are refused so typos do not pass. */
  const EditDropBody = v.strictObject(
    {
      title: v.optional(DROP_FIELDS.title),
      description: v.optional(DROP_FIELDS.description),
      priceCents: v.optional(DROP_FIELDS.priceCents),
      currency: v.optional(DROP_FIELDS.currency),
      quantity: v.optional(DROP_FIELDS.quantity),
      startsAt: v.optional(startsAt),
      maxPerFan: v.optional(DROP_FIELDS.maxPerFan),
      /** Before go-live: any, switching modes too. Once live: a hold drop's length only (new holds). */
      holdMinutes: v.optional(HOLD_MINUTES),
      /** Before go-live only, like the orders mode. */
      verifiedFans: v.optional(VERIFIED_FANS),
      /** A draw drop's close, before go-live only (entries open at go-live); always after the go-live. */
      entriesCloseAt: DRAW_FIELDS(clock).entriesCloseAt,
      /** How the drop sells, as created: naming the other way is refused (422 draw_terms). */
      sale: DRAW_FIELDS(clock).sale,
      /** The sizes as they should be (docs/variants.md: what may change when). */
      variants: v.optional(VariantEditsBody),
      /** At any time: on, later buyers are asked for an address; off, addresses given are kept. */
      collectShipping: v.optional(v.boolean("collectShipping must be true or false")),
    },
    "only title, description, priceCents, currency, quantity, startsAt, maxPerFan, holdMinutes, verifiedFans, entriesCloseAt, sale, variants and collectShipping can be changed",
  );
  return { NewDropBody, EditDropBody };
}

/**
 * A fan's identity (email or handle): invisible and private-use characters refused, then its form as typed
 * (see typedIdentity: letter case kept). The per-fan limit compares its key (identityKey), made where the
 * purchase is.
 */
export const fanIdentity = (required: string, tooLong: string) =>
  v.pipe(
    v.string(required),
    safeText("fan", "line"),
    v.rawCheck<string>(({ dataset, addIssue }) => {
      const reason = dataset.typed ? identityRefusal(dataset.value) : undefined;
      if (reason) addIssue({ message: `fan ${reason}` });
    }),
    v.transform(typedIdentity),
    v.minLength(1, required),
    v.check((fan) => identityKey(fan) !== "", required),
    v.maxLength(200, tooLong),
  );

export const Fan = fanIdentity("fan is required", "fan must be at most 200 characters");

export const IdempotencyKey = v.pipe(
  v.string("idempotencyKey must be a string"),
  safeText("idempotencyKey", "line"),
  v.minLength(1, "idempotencyKey must not be empty"),
  v.maxLength(200, "idempotencyKey must be at most 200 characters"),
  v.regex(/^[\x21-\x7e]+$/, "idempotencyKey must be printable ASCII without spaces"),
);

/** A variant named by its id or its name (see domain/purchase/variants.ts). */
export const VariantRef = v.pipe(
  v.string("variant must be a variant's id or name"),
  safeText("variant", "line"),
  v.trim(),
  v.minLength(1, "variant must not be empty"),
  v.maxLength(100, "variant must be at most 100 characters"),
);

export const PurchaseBody = v.object({
  /** Required, except with a Fan-Token (verified fans), whose address is then the fan. */
  fan: v.optional(Fan),
  idempotencyKey: v.optional(IdempotencyKey),
  /** Required on a drop of several variants: the variant's id or name. */
  variant: v.optional(VariantRef),
});

export const DropRef = v.pipe(v.string(), v.regex(/^[A-Za-z0-9-]{1,100}$/, "not a drop id or slug"));

export const OrdersQuery = v.object({
  cursor: v.optional(v.pipe(v.string(), v.uuid("cursor is not valid"))),
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, "limit must be a whole number"),
      v.transform(Number),
      v.minValue(1, "limit must be at least 1"),
      v.maxValue(500, "limit must be at most 500"),
    ),
    "100",
  ),
});
