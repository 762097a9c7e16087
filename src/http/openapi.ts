/**
 * The API's OpenAPI 3.1 description, generated: every route under /api carries a `describeRoute` whose
 * request bodies are the very valibot schemas the handlers parse with, and whose answers are the schemas
 * below, which the contract tests check real answers against (test/openapi.test.ts). Nothing here is a
 * hand-written copy of a request schema, so the document cannot drift from what the server accepts.
 */
import type { Hono } from "hono";
import { describeRoute, generateSpecs, resolver } from "hono-openapi";
import * as v from "valibot";

/**
 * Request schemas transform and check (a date string becomes a Date, text passes safeText): the document
 * describes what a client sends, so the input side, and checks JSON Schema cannot say are left out.
 */
const AS_INPUT = { typeMode: "input", errorMode: "ignore" } as const;

/** The request body a route parses with `schema`. */
export function jsonRequest(schema: v.GenericSchema) {
  return { required: true, content: { "application/json": { schema: resolver(schema, AS_INPUT) } } };
}

const nullableString = v.nullable(v.string());

export const ErrorAnswer = v.strictObject({
  error: v.strictObject({
    code: v.string(),
    message: v.string(),
    issues: v.optional(v.array(v.strictObject({ path: v.string(), message: v.string() }))),
    retryAfter: v.optional(v.number()),
    startsAt: v.optional(v.string()),
    maxPerFan: v.optional(v.number()),
    refunded: v.optional(v.boolean()),
    status: v.optional(v.string()),
    /** code_invalid: wrong tries left before the code dies. */
    triesLeft: v.optional(v.number()),
    /** `sold_out` on a drop of several variants: the variant that sold out. */
    variant: v.optional(v.string()),
    /** `variant_required` / `unknown_variant`: the names of the drop's variants. */
    variants: v.optional(v.array(v.string())),
  }),
});

export const ImageJson = v.strictObject({
  id: v.string(),
  url: v.string(),
  width: v.number(),
  height: v.number(),
});

/** A variant (size, colour) of a drop, with its own stock: each sells exactly its quantity. */
export const VariantJson = v.strictObject({
  id: v.string(),
  name: v.string(),
  quantity: v.number(),
  /** Its own price; null: the drop's. */
  priceCents: v.nullable(v.number()),
  remaining: v.number(),
  status: v.picklist(["upcoming", "live", "paused", "sold_out", "cancelled"]),
});

export const DropJson = v.strictObject({
  id: v.string(),
  slug: v.string(),
  title: v.string(),
  description: v.string(),
  priceCents: v.number(),
  currency: v.string(),
  quantity: v.number(),
  maxPerFan: v.number(),
  startsAt: v.string(),
  createdAt: v.string(),
  pausedAt: nullableString,
  cancelledAt: nullableString,
  remaining: v.number(),
  status: v.picklist(["upcoming", "live", "paused", "sold_out", "cancelled"]),
  serverTime: v.string(),
  images: v.array(ImageJson),
  holdMinutes: v.optional(v.number()),
  /** Only draw drops carry these (docs/draws.md). */
  sale: v.optional(v.picklist(["first_come", "draw"])),
  entriesCloseAt: v.optional(v.string()),
  drawCommitment: v.optional(v.string()),
  verifiedFans: v.optional(v.boolean()),
  collectShipping: v.optional(v.boolean()),
  /** Every variant; a drop made without variants has one, "Standard", whose id is the drop's. */
  variants: v.array(VariantJson),
});

export const OrderJson = v.strictObject({
  id: v.string(),
  /** 1..quantity within the order's variant. */
  unitNo: v.number(),
  /** On a drop of several variants: the variant bought. */
  variant: v.optional(v.strictObject({ id: v.string(), name: v.string() })),
  dropId: v.string(),
  fan: v.string(),
  priceCents: v.number(),
  createdAt: v.string(),
});

export const CheckoutOrderJson = v.strictObject({
  ...OrderJson.entries,
  currency: v.string(),
  status: v.picklist(["held", "paid", "expired", "released", "refunded", "placed"]),
  expiresAt: v.string(),
  paidAt: nullableString,
});

export const SellerJson = v.strictObject({
  id: v.string(),
  email: v.string(),
  name: v.string(),
  createdAt: v.string(),
});

export const AuditJson = v.strictObject({
  quantity: v.number(),
  sold: v.number(),
  remaining: v.number(),
  oversold: v.number(),
  duplicateUnits: v.number(),
  unitsOutOfRange: v.number(),
  /** On a drop of several variants: each one's books. */
  variants: v.optional(
    v.array(
      v.strictObject({
        name: v.string(),
        quantity: v.number(),
        sold: v.number(),
        remaining: v.number(),
        oversold: v.number(),
      }),
    ),
  ),
});

/** What each error code means, as the API answers it (the status comes from http/error-response.ts). */
const ERRORS = {
  400: "`invalid`: bad input, with `issues: [{path, message}]`; nothing written",
  401: "`unauthorized`: missing or wrong bearer token; `fan_unverified`: a verified-fans drop needs a valid `Fan-Token`",
  402: "`card_declined`: the payment was declined; the hold is kept",
  404: "`not_found`: no such drop or order (another seller's drop too)",
  409: "a conflict with the drop's state (`sold_out`, naming the `variant` on a drop of several, `not_live`, `paused`, `cancelled`, `limit_reached`, `drop_live`, `email_taken`, `hold_expired`, `order_not_payable`, `draw_only`, `entries_closed`, `units_available`, `draw_state`)",
  413: "`payload_too_large` (body over 16 KB) or `image_too_large` (over 8 MB)",
  415: "`unsupported_media_type`: the body is not JSON",
  422: "`idempotency_key_reused`: this key already bought for another request; `variant_required` / `unknown_variant`: the drop sells several variants and the purchase named none, or one it does not sell (`variants` lists them); `code_invalid` (with `triesLeft`) or `code_expired`: a fan's email code",
  429: "`rate_limited`: too many purchases (or email codes) from this client address or for this email; see `Retry-After`",
  503: "`busy`: contention outlasted the retry budget or no connection was free; retry with the same key after `Retry-After`",
} as const;
export type ErrorStatus = keyof typeof ERRORS;

/** The JSON answer `schema` under `description`. */
export function answer(description: string, schema: v.GenericSchema) {
  return { description, content: { "application/json": { schema: resolver(schema) } } };
}

/**
 * A route's description: its answers, plus the error answers it can give, each with the one error body.
 * @example api.get("/drops/:ref", describe({ summary: "Read a drop", tags: ["drops"], responses: { 200: answer("the drop", v.strictObject({ drop: DropJson })) } }, [404]), handler)
 */
export function describe(
  spec: Parameters<typeof describeRoute>[0] & { responses: Record<number, unknown> },
  errors: ErrorStatus[],
) {
  const failures = Object.fromEntries(errors.map((status) => [status, answer(ERRORS[status], ErrorAnswer)]));
  return describeRoute({ ...spec, responses: { ...failures, ...spec.responses } as never });
}

export const SELLER_AUTH = [{ sellerKey: [] }];
export const ORDER_AUTH = [{ orderToken: [] }];
export const FAN_AUTH = [{ fanToken: [] }];

/**
 * The document for `app`: every route that has a description (the API's), in OpenAPI 3.1.
 * @example const doc = await openApiDocument(app)
 */
export async function openApiDocument(app: Hono) {
  return generateSpecs(app, {
    documentation: {
      openapi: "3.1.0",
      info: {
        title: "Dropfront Live API",
        version: "1",
        description:
          "Drops that sell exactly N units. Bodies are JSON (at most 16 KB); every error is `{error: {code, message}}`. See docs/api.md for a walkthrough.",
      },
      components: {
        securitySchemes: {
          sellerKey: { type: "http", scheme: "bearer", description: "The seller's API key (`dfl_…`)" },
          orderToken: {
            type: "http",
            scheme: "bearer",
            description: "The order token a hold purchase returned",
          },
          fanToken: {
            type: "apiKey",
            in: "header",
            name: "Fan-Token",
            description: "A verified fan's token (POST /api/fans/sessions); required on verified-fans drops",
          },
        },
      },
    },
    exclude: [/^(?!\/api\/)/, "/api/openapi.json", "/api/docs"],
  });
}
