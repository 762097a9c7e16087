import * as v from "valibot";

/** Every input the JSON API accepts. Messages are shown to people: say what is wrong and what is allowed. */

const wholeNumber = (label: string, min: number, max: number) =>
  v.pipe(
    v.number(`${label} must be a number`),
    v.integer(`${label} must be a whole number`),
    v.minValue(min, `${label} must be at least ${min}`),
    v.maxValue(max, `${label} must be at most ${max.toLocaleString("en-US")}`),
  );

export const Email = v.pipe(
  v.string("email is required"),
  v.trim(),
  v.toLowerCase(),
  v.maxLength(254, "email is too long"),
  v.email("email must be a valid address"),
);

export const Password = v.pipe(
  v.string("password is required"),
  v.minLength(10, "password must be at least 10 characters"),
  v.maxLength(200, "password must be at most 200 characters"),
);

export const SellerSignup = v.object({
  email: Email,
  password: Password,
  name: v.pipe(v.string("name is required"), v.trim(), v.minLength(1, "name is required"), v.maxLength(100)),
});

const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

/** An ISO 8601 instant that names its offset ("Z" or "+02:00"), so nobody's clock guesses the time zone. */
export const Instant = v.pipe(
  v.string("startsAt is required"),
  v.trim(),
  v.regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/,
    "startsAt must be an ISO 8601 time with an offset, e.g. 2026-12-01T18:00:00Z",
  ),
  v.transform((text) => new Date(text)),
  v.check((date) => !Number.isNaN(date.getTime()), "startsAt is not a real date"),
  v.check(
    (date) => Math.abs(date.getTime() - Date.now()) < TEN_YEARS_MS,
    "startsAt must be within ten years",
  ),
);

export const Currency = v.pipe(
  v.string("currency must be a 3-letter code"),
  v.trim(),
  v.regex(/^[A-Za-z]{3}$/, "currency must be a 3-letter ISO 4217 code such as USD"),
  v.toUpperCase(),
);

/** How far in the past a go-live may be and still mean "now" (clocks and slow requests differ a little). */
export const PAST_GO_LIVE_GRACE_MS = 5 * 60 * 1000;

/** A go-live for a new or edited drop: not more than a few minutes in the past, which is surely a mistake. */
export const GoLive = v.pipe(
  Instant,
  v.check(
    (date) => date.getTime() >= Date.now() - PAST_GO_LIVE_GRACE_MS,
    "startsAt is in the past; leave it out to go live now",
  ),
);

/** The fields a seller sets, shared by creating (some required) and editing (all optional). */
const DROP_FIELDS = {
  title: v.pipe(
    v.string("title is required"),
    v.trim(),
    v.minLength(1, "title is required"),
    v.maxLength(120),
  ),
  description: v.pipe(v.string("description must be text"), v.trim(), v.maxLength(5000)),
  priceCents: wholeNumber("priceCents", 0, 100_000_000),
  currency: Currency,
  quantity: wholeNumber("quantity", 1, 1_000_000),
  startsAt: GoLive,
  maxPerFan: wholeNumber("maxPerFan", 1, 1000),
};

/** A new drop. `startsAt` may be left out to go live at once. */
export const NewDropBody = v.object({
  ...DROP_FIELDS,
  description: v.optional(DROP_FIELDS.description, ""),
  currency: v.optional(DROP_FIELDS.currency, "USD"),
  startsAt: v.optional(DROP_FIELDS.startsAt),
  maxPerFan: v.optional(DROP_FIELDS.maxPerFan, 1),
});

/** A change to a drop (PATCH): any of the create fields; unknown fields are refused so typos do not pass. */
export const EditDropBody = v.strictObject(
  {
    title: v.optional(DROP_FIELDS.title),
    description: v.optional(DROP_FIELDS.description),
    priceCents: v.optional(DROP_FIELDS.priceCents),
    currency: v.optional(DROP_FIELDS.currency),
    quantity: v.optional(DROP_FIELDS.quantity),
    startsAt: v.optional(DROP_FIELDS.startsAt),
    maxPerFan: v.optional(DROP_FIELDS.maxPerFan),
  },
  "only title, description, priceCents, currency, quantity, startsAt and maxPerFan can be changed",
);

export const Fan = v.pipe(
  v.string("fan is required"),
  v.trim(),
  v.toLowerCase(),
  v.minLength(1, "fan is required"),
  v.maxLength(200, "fan must be at most 200 characters"),
);

export const IdempotencyKey = v.pipe(
  v.string("idempotencyKey must be a string"),
  v.minLength(1, "idempotencyKey must not be empty"),
  v.maxLength(200, "idempotencyKey must be at most 200 characters"),
  v.regex(/^[\x21-\x7e]+$/, "idempotencyKey must be printable ASCII without spaces"),
);

export const PurchaseBody = v.object({
  fan: Fan,
  idempotencyKey: v.optional(IdempotencyKey),
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
