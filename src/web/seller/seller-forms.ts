import * as v from "valibot";
import type { DropChanges } from "../../domain/catalog";
import { instantFromLocal, isoWithOffset, isTimeZone } from "../../domain/catalog";
import type { Clock } from "../../domain/clock";
import type { FieldIssue } from "../../domain/errors";
import type { Variant } from "../../domain/purchase/variants";
import type { NewDropInput } from "../../domain/shop";
import { safeText } from "../../http/safe-text";
import { DROP_FIELDS, dropBodies, Email, SellerSignup } from "../../http/schemas";
import type { VariantEdit } from "../../repository";

/**
 * The seller pages' forms. Browsers send every field as text, so these schemas turn text into the
 * numbers and instants the JSON API's schemas (reused here) expect, and report problems per form field.
 */

export type FormErrors = Record<string, string>;
export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FormErrors };

/** The first problem per field, capitalised for display; API field names renamed to the form's. */
export function formErrors(issues: FieldIssue[], rename: Record<string, string> = {}): FormErrors {
  const errors: FormErrors = {};
  for (const issue of issues) {
    const field = rename[issue.path] ?? (issue.path || "form");
    errors[field] ??= issue.message.charAt(0).toUpperCase() + issue.message.slice(1);
  }
  return errors;
}

function parse<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  rename?: Record<string, string>,
): Parsed<v.InferOutput<S>> {
  const result = v.safeParse(schema, input);
  if (result.success) return { ok: true, value: result.output };
  const issues = result.issues.map((issue) => ({ path: v.getDotPath(issue) ?? "", message: issue.message }));
  return { ok: false, errors: formErrors(issues, rename) };
}

export const parseSignUp = (form: Record<string, string>) => parse(SellerSignup, form);

const SignIn = v.object({
  email: Email,
  password: v.pipe(
    v.string("password is required"),
    safeText("password", "line"),
    v.minLength(1, "password is required"),
  ),
});

export const parseSignIn = (form: Record<string, string>) => parse(SignIn, form);

/**
 * "25", "25.5", "25.00" or, as much of Europe writes it, "25,00" to 2500 cents, by string arithmetic so no
 * float rounding creeps in. Grouping separators are refused rather than guessed at ("1,000" is not 1.00).
 */
const Price = v.pipe(
  v.string("price is required"),
  v.trim(),
  v.minLength(1, "price is required"),
  v.regex(/^\d{1,9}([.,]\d{1,2})?$/, "price must be an amount like 25.00 (or 25,00)"),
  v.transform((text) => {
    const [whole, fraction = ""] = text.split(/[.,]/);
    return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
  }),
  v.maxValue(100_000_000, "price must be at most 1,000,000.00"),
);

const WholeNumber = (label: string, min: number, max: number) =>
  v.pipe(
    v.string(`${label} is required`),
    v.trim(),
    v.minLength(1, `${label} is required`),
    v.regex(/^\d+$/, `${label} must be a whole number`),
    v.transform(Number),
    v.minValue(min, `${label} must be at least ${min}`),
    v.maxValue(max, `${label} must be at most ${max.toLocaleString("en-US")}`),
  );

const LocalGoLive = v.pipe(
  v.string("go-live date and time is required"),
  v.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, "choose a go-live date and time"),
);

const TimeZone = v.pipe(
  v.string("choose a time zone"),
  v.check(isTimeZone, "choose a time zone from the list"),
);

const DROP_FORM_FIELDS = {
  title: DROP_FIELDS.title,
  description: v.optional(DROP_FIELDS.description, ""),
  currency: v.optional(DROP_FIELDS.currency, "USD"),
  price: Price,
  quantity: WholeNumber("units for sale", 1, 1_000_000),
  maxPerFan: WholeNumber("limit per fan", 1, 1000),
};

const NewDropForm = v.variant("goLiveNow", [
  // "Go live now" ticked: the date and time fields are ignored, whatever they hold.
  v.object({ ...DROP_FORM_FIELDS, goLiveNow: v.literal("on") }),
  v.object({
    ...DROP_FORM_FIELDS,
    goLiveNow: v.optional(v.literal("")),
    startsAt: LocalGoLive,
    timeZone: TimeZone,
  }),
]);

/**
 * The form's hold length. Its number then passes the API's own rule (holdMinutes 0-60, NewDropBody); this
 * schema speaks in minutes and refuses 0, which on the form is the "Instant orders" choice.
 */
const HoldMinutes = v.pipe(
  v.string("enter the hold in minutes, 1 to 60"),
  v.trim(),
  v.minLength(1, "enter the hold in minutes, 1 to 60"),
  v.regex(/^\d+$/, "the hold must be a whole number of minutes, 1 to 60"),
  v.transform(Number),
  v.minValue(1, "a hold must be at least 1 minute (or choose Instant orders)"),
  v.maxValue(60, "a hold must be at most 60 minutes"),
);

/** "Instant orders" or "Checkout with a hold of M minutes"; the minutes are read only with checkout. */
const CheckoutForm = v.variant(
  "holdMode",
  [
    v.object({ holdMode: v.literal("instant") }),
    v.object({ holdMode: v.literal("hold"), holdMinutes: HoldMinutes }),
  ],
  "choose Instant orders or Checkout with a hold",
);

/** The checkout choice as the API's holdMinutes (0: instant). A form without the choice is instant, as in the API. */
function holdMinutesOf(form: Record<string, string>): Parsed<number> {
  const parsed = parse(CheckoutForm, { holdMode: form.holdMode ?? "instant", holdMinutes: form.holdMinutes });
  if (!parsed.ok) return parsed;
  return { ok: true, value: parsed.value.holdMode === "hold" ? parsed.value.holdMinutes : 0 };
}

const errorsOf = (parsed: Parsed<unknown>): FormErrors => (parsed.ok ? {} : parsed.errors);

/** A go-live typed into the form may be this far behind the clock (the current minute) and still count. */
export const FORM_PAST_GRACE_MS = 60_000;

type GoLiveFields = { goLiveNow?: string | undefined; startsAt?: string; timeZone?: string };

/**
 * The go-live the form asks for: undefined for "Go live now", else the wall time read in the chosen zone as
 * an ISO instant with its offset. A time already past is refused with a field error: going live at once is
 * a choice the seller makes with the checkbox, never by accident.
 */
function goLiveOf(
  f: GoLiveFields,
  now: number,
): { ok: true; value: string | undefined } | { ok: false; errors: FormErrors } {
  if (f.goLiveNow === "on" || f.startsAt === undefined || f.timeZone === undefined)
    return { ok: true, value: undefined };
  const startsAt = instantFromLocal(f.startsAt, f.timeZone);
  if (Number.isNaN(startsAt.getTime()))
    return { ok: false, errors: { startsAt: "Choose a go-live date and time" } };
  if (startsAt.getTime() < now - FORM_PAST_GRACE_MS) {
    return {
      ok: false,
      errors: { startsAt: "This time has already passed. Choose a later time, or tick Go live now." },
    };
  }
  return { ok: true, value: isoWithOffset(startsAt, f.timeZone) };
}

const GoLiveAlone = v.object({ startsAt: LocalGoLive, timeZone: TimeZone });

/** The go-live's own problem when other fields failed: checked from its two fields alone. */
function goLiveErrorsAlone(form: Record<string, string>, now: number): FormErrors {
  if (form.goLiveNow === "on") return {};
  const alone = v.safeParse(GoLiveAlone, form);
  if (!alone.success) return {};
  const goLive = goLiveOf(alone.output, now);
  return goLive.ok ? {} : goLive.errors;
}

/** Size rows on the new-drop form: variantName0, variantQuantity0, variantPrice0 ... up to 20. */
const MAX_SIZE_ROWS = 20;
const SizeRow = v.object({
  name: v.pipe(
    v.string(),
    safeText("size", "line"),
    v.trim(),
    v.minLength(1, "give this size a name"),
    v.maxLength(40, "a size's name must be at most 40 characters"),
  ),
  quantity: WholeNumber("units of this size", 1, 1_000_000),
  price: v.optional(Price),
});

/**
 * The sizes the seller filled in (a row with any field typed counts; blank rows are ignored), undefined
 * when none: then the drop is one kind of unit. Problems are reported per row (`variant3`).
 */
function variantsOf(
  form: Record<string, string>,
): Parsed<{ name: string; quantity: number; priceCents?: number }[] | undefined> {
  const sizes: { name: string; quantity: number; priceCents?: number }[] = [];
  const errors: FormErrors = {};
  for (let i = 0; i < MAX_SIZE_ROWS; i++) {
    const name = form[`variantName${i}`] ?? "";
    const quantity = form[`variantQuantity${i}`] ?? "";
    const price = (form[`variantPrice${i}`] ?? "").trim();
    if (!name.trim() && !quantity.trim() && !price) continue;
    const row = v.safeParse(SizeRow, { name, quantity, ...(price ? { price } : {}) });
    if (!row.success) {
      const message = row.issues[0]!.message;
      errors[`variant${i}`] = message.charAt(0).toUpperCase() + message.slice(1);
      continue;
    }
    const { price: priceCents, ...size } = row.output;
    sizes.push(priceCents === undefined ? size : { ...size, priceCents });
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: sizes.length > 0 ? sizes : undefined };
}

/**
 * The create-drop form into the shop's NewDropInput. The go-live wall-clock time is read in the chosen
 * zone, then everything passes the JSON API's own schema, so both doors accept exactly the same drops.
 */
export function parseNewDrop(
  form: Record<string, string>,
  clock: Clock,
): Parsed<NewDropInput & { sale?: "first_come" | "draw"; entriesCloseAt?: Date; drawPublicValue?: string }> {
  const now = clock();
  const sizes = variantsOf(form);
  // With sizes, the drop's units are their sum, whatever the units field holds (while a size row is wrong,
  // the units field is not the problem: a stand-in keeps it from being reported, and nothing is created).
  const total = sizes.ok ? sizes.value?.reduce((sum, size) => sum + size.quantity, 0) : 1;
  const fields = parse(NewDropForm, {
    ...form,
    goLiveNow: form.goLiveNow ?? "",
    ...(total === undefined ? {} : { quantity: String(total) }),
  });
  const holdMinutes = holdMinutesOf(form);
  // Every field's problem at once: the checkout choice is checked beside the others, not after them, and
  // so is a go-live already past (it used to come back only in a second round, once the rest was fixed).
  if (!fields.ok || !holdMinutes.ok || !sizes.ok)
    return {
      ok: false,
      errors: {
        ...goLiveErrorsAlone(form, now),
        ...errorsOf(fields),
        ...errorsOf(holdMinutes),
        ...errorsOf(sizes),
      },
    };
  const f = fields.value;
  const goLive = goLiveOf(f, now);
  if (!goLive.ok) return goLive;
  const body = parse(
    // The API's own schema, checked against the same instant as the form's fields above.
    dropBodies(() => now).NewDropBody,
    {
      title: f.title,
      description: f.description,
      currency: f.currency,
      priceCents: f.price,
      quantity: f.quantity,
      maxPerFan: f.maxPerFan,
      startsAt: goLive.value,
      holdMinutes: holdMinutes.value,
      verifiedFans: form.verifiedFans === "on",
      ...drawChoiceOf(form, form.timeZone),
      collectShipping: form.collectShipping === "on",
      ...(sizes.value ? { variants: sizes.value } : {}),
    },
    { priceCents: "price" },
  );
  if (!body.ok) {
    // The API's word on the sizes as a whole (names twice, too many) is said once, above the rows.
    const errors: FormErrors = {};
    for (const [field, message] of Object.entries(body.errors))
      errors[field.startsWith("variants") ? "variants" : field] ??= message;
    return { ok: false, errors };
  }
  const { holdMinutes: minutes = 0, ...input } = body.value;
  // (verifiedFans passes through: a form without the box ticked makes, or edits to, an open drop.)
  return { ok: true, value: { ...input, holdSeconds: minutes * 60 } };
}

/**
 * The form's draw choice (docs/draws.md) as the API's fields: the close read in the go-live's zone, and a
 * draw drop is a verified-fans drop (one entry per confirmed address). Checked by the API's schema and then
 * by drawTermsOf, as the JSON API checks it.
 */
function drawChoiceOf(form: Record<string, string>, timeZone: string | undefined) {
  if (form.sale !== "draw") return {};
  const close = form.entriesCloseAt ? instantFromLocal(form.entriesCloseAt, timeZone ?? "UTC") : undefined;
  return {
    sale: "draw",
    verifiedFans: true,
    ...(close && !Number.isNaN(close.getTime()) ? { entriesCloseAt: close.toISOString() } : {}),
    ...(form.drawPublicValue?.trim() ? { drawPublicValue: form.drawPublicValue } : {}),
  };
}

/**
 * What the edit form may change once the drop is live: price, currency, quantity, go-live and the orders
 * mode are fixed; a checkout drop's hold length is not (it applies to holds given after the change).
 */
const LiveEditForm = v.object({
  title: DROP_FORM_FIELDS.title,
  description: DROP_FORM_FIELDS.description,
  maxPerFan: DROP_FORM_FIELDS.maxPerFan,
});

const LiveHoldEditForm = v.object({ ...LiveEditForm.entries, holdMinutes: v.optional(HoldMinutes) });

/**
 * The edit form into the changes to send. Before go-live it is the create form (every field, "Go live now"
 * and the checkout choice included); once live only the title, description, per-fan limit and, on a
 * checkout drop, the hold length are on the form.
 */
export function parseDropEdit(
  form: Record<string, string>,
  drop: { live: boolean; checkout: boolean; variants?: readonly Variant[] | undefined },
  clock: Clock,
): Parsed<DropChanges> {
  const collectShipping = form.collectShipping === "on";
  const named = drop.variants ?? [];
  if (drop.live) {
    const fields = parse(drop.checkout ? LiveHoldEditForm : LiveEditForm, form);
    const sizes: Parsed<VariantEdit[] | undefined> =
      named.length > 0 ? liveSizesOf(form, named) : { ok: true, value: undefined };
    if (!fields.ok || !sizes.ok) return { ok: false, errors: { ...errorsOf(fields), ...errorsOf(sizes) } };
    const { holdMinutes, ...changes } = fields.value as v.InferOutput<typeof LiveHoldEditForm>;
    return {
      ok: true,
      value: {
        ...changes,
        ...(holdMinutes === undefined ? {} : { holdSeconds: holdMinutes * 60 }),
        collectShipping,
        ...(sizes.value ? { variants: sizes.value } : {}),
      },
    };
  }
  const now = clock();
  const parsed = parseNewDrop(form, () => now);
  if (!parsed.ok) return parsed;
  // No size rows left on a drop of sizes makes it one kind of unit again (its units from the units field).
  const variants = parsed.value.variants ?? (named.length > 0 ? null : undefined);
  // "Go live now" on an edit means now: the database clock's now, sent as this moment.
  return {
    ok: true,
    value: { ...parsed.value, variants, startsAt: parsed.value.startsAt ?? new Date(now) },
  };
}

/**
 * A live drop's size rows (in the drop's order, so each row is the size at its place): a name and units
 * each; a row cleared is the size removed. Prices are the sizes' own (fixed once live).
 */
function liveSizesOf(form: Record<string, string>, variants: readonly Variant[]): Parsed<VariantEdit[]> {
  const sizes: VariantEdit[] = [];
  const errors: FormErrors = {};
  variants.forEach((variant, i) => {
    const name = form[`variantName${i}`] ?? "";
    const quantity = form[`variantQuantity${i}`] ?? "";
    if (!name.trim() && !quantity.trim()) return;
    const row = v.safeParse(SizeRow, { name, quantity });
    if (!row.success) {
      const message = row.issues[0]!.message;
      errors[`variant${i}`] = message.charAt(0).toUpperCase() + message.slice(1);
      return;
    }
    const { name: kept, quantity: units } = row.output;
    sizes.push({
      id: variant.id,
      name: kept,
      quantity: units,
      ...(variant.priceCents === null ? {} : { priceCents: variant.priceCents }),
    });
  });
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  if (sizes.length === 0) return { ok: false, errors: { variants: "Keep at least one size" } };
  return { ok: true, value: sizes };
}
