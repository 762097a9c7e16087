import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import * as v from "valibot";
import { exportFileName } from "../domain/books";
import { FanUnverified, InvalidInput, NotFound, Unauthorized } from "../domain/errors";
import type { VerifiedFans } from "../domain/fairness";
import type { WebhookService } from "../domain/messages/webhooks";
import type { DropWithStock, Shop, VariantWithStock } from "../domain/shop";
import type { Order, Seller } from "../domain/types";
import { checkoutApiRoutes, heldOrderAnswer } from "./checkout-api";
import { drawTermsOf, fairnessApiRoutes } from "./fairness-api";
import { fanApiRoutes } from "./fan-api";
import { verifiedFan } from "./fan-auth";
import { imageApiRoutes, imageJson } from "./image-api";
import {
  AuditJson,
  answer,
  CheckoutOrderJson,
  DropJson,
  describe,
  FAN_AUTH,
  jsonRequest,
  OrderJson,
  SELLER_AUTH,
  SellerJson,
} from "./openapi";
import { orderApiRoutes } from "./order-api";
import { DropRef, dropBodies, IdempotencyKey, OrdersQuery, PurchaseBody, SellerSignup } from "./schemas";
import { jsonBody, parseWith } from "./validation";
import { webhookApiRoutes } from "./webhook-api";

type ApiEnv = { Variables: { seller: Seller } };

const sellerJson = (s: Seller) => ({ id: s.id, email: s.email, name: s.name, createdAt: s.createdAt });

const variantJson = (variant: VariantWithStock) => ({
  id: variant.id,
  name: variant.name,
  quantity: variant.quantity,
  priceCents: variant.priceCents,
  remaining: variant.remaining,
  status: variant.status,
});

const dropJson = ({ drop, remaining, status, serverTime, images, draw, variants }: DropWithStock) => ({
  id: drop.id,
  slug: drop.slug,
  title: drop.title,
  description: drop.description,
  priceCents: drop.priceCents,
  currency: drop.currency,
  quantity: drop.quantity,
  maxPerFan: drop.maxPerFan,
  startsAt: drop.startsAt,
  createdAt: drop.createdAt,
  pausedAt: drop.pausedAt,
  cancelledAt: drop.cancelledAt,
  remaining,
  status,
  serverTime,
  images: images.map(imageJson),
  // Only hold drops carry the field, so instant drops answer exactly as before checkout existed.
  ...(drop.holdSeconds > 0 ? { holdMinutes: drop.holdSeconds / 60 } : {}),
  // Only draw drops carry these, so first-come drops answer as before draws existed.
  ...(draw ? { sale: "draw", entriesCloseAt: draw.entriesCloseAt, drawCommitment: draw.commitment } : {}),
  // Likewise only verified drops carry their flag.
  ...(drop.verifiedFans ? { verifiedFans: true } : {}),
  // Likewise only drops that ask for an address say so.
  ...(drop.collectShipping ? { collectShipping: true } : {}),
  variants: variants.map(variantJson),
});

/** An order; on a drop of several variants, with the variant it bought. */
const orderJson = (o: Order, variant?: { id: string; name: string }) => ({
  id: o.id,
  unitNo: o.unitNo,
  ...(variant ? { variant: { id: variant.id, name: variant.name } } : {}),
  dropId: o.dropId,
  fan: o.fan,
  priceCents: o.priceCents,
  createdAt: o.createdAt,
});

/** A streamed CSV download; never cached, since orders keep arriving while a drop sells. */
export function csvResponse(csv: ReadableStream<Uint8Array>, fileName: string): Response {
  return new Response(csv, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${fileName}"`,
      "cache-control": "no-store",
    },
  });
}

function dropRef(ref: string): string {
  try {
    return parseWith(DropRef, ref);
  } catch {
    throw new NotFound("drop");
  }
}

/** The key may come as the Idempotency-Key header or in the body; when both come they must agree. */
function idempotencyKeyOf(header: string | undefined, body: string | undefined): string | undefined {
  const fromHeader = header === undefined ? undefined : parseWith(IdempotencyKey, header);
  if (fromHeader !== undefined && body !== undefined && fromHeader !== body) {
    throw new InvalidInput([
      { path: "idempotencyKey", message: "Idempotency-Key header and idempotencyKey in the body differ" },
    ]);
  }
  return fromHeader ?? body;
}

const DropAnswer = v.strictObject({ drop: DropJson });
const PurchaseAnswer = v.union([
  v.strictObject({ order: OrderJson }),
  v.strictObject({ order: CheckoutOrderJson, orderToken: v.optional(v.string()) }),
]);
const OrdersPage = v.strictObject({
  orders: v.array(v.strictObject({ ...OrderJson.entries, attempts: v.number() })),
  nextCursor: v.nullable(v.string()),
});
const FAN_TOKEN_PARAMETER = {
  name: "fan-token",
  in: "header" as const,
  required: false,
  description: "a verified fan's token (POST /api/fans/sessions); required on verified-fans drops",
  schema: { type: "string" as const },
};
const IDEMPOTENCY_HEADER = {
  name: "idempotency-key",
  in: "header" as const,
  required: false,
  description: "printable ASCII, 1-200 characters; or idempotencyKey in the body",
  schema: { type: "string" as const },
};

/** An owner's action on a drop that answers the drop as it is afterwards. */
const ownerAction = (summary: string) =>
  describe(
    {
      summary,
      tags: ["drops"],
      security: SELLER_AUTH,
      responses: { 200: answer("the drop as it is now", DropAnswer) },
    },
    [401, 404, 409, 503],
  );

/**
 * The JSON API. Handlers validate, call the shop, and shape the answer; errors are thrown as domain
 * errors and turned into responses by the app's error handler.
 */
export function apiRoutes(shop: Shop, webhooks?: WebhookService, fans?: VerifiedFans) {
  const { NewDropBody, EditDropBody } = dropBodies(shop.clock);
  const api = new Hono<ApiEnv>();

  const requireSeller = createMiddleware<ApiEnv>(async (c, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
    if (!match?.[1]) throw new Unauthorized();
    c.set("seller", await shop.sellerByApiKey(match[1]));
    await next();
  });

  api.route("/", imageApiRoutes(shop, requireSeller));
  api.route("/", checkoutApiRoutes(shop));
  api.route("/", fairnessApiRoutes(shop, requireSeller, fans));
  api.route("/", orderApiRoutes(shop, requireSeller));
  if (webhooks) api.route("/", webhookApiRoutes(webhooks, requireSeller));
  if (fans) api.route("/", fanApiRoutes(fans));

  api.post(
    "/sellers",
    describe(
      {
        summary: "Sign up a seller; the API key is shown once",
        tags: ["sellers"],
        requestBody: jsonRequest(SellerSignup),
        responses: {
          201: answer(
            "the seller and its API key",
            v.strictObject({ seller: SellerJson, apiKey: v.string() }),
          ),
        },
      },
      [400, 409, 413, 415, 503],
    ),
    async (c) => {
      const input = parseWith(SellerSignup, await jsonBody(c));
      const { seller, apiKey } = await shop.createSeller(input);
      return c.json({ seller: sellerJson(seller), apiKey }, 201);
    },
  );

  api.post(
    "/drops",
    describe(
      {
        summary: "Create a drop (without startsAt it goes live at once)",
        tags: ["drops"],
        security: SELLER_AUTH,
        requestBody: jsonRequest(NewDropBody),
        responses: { 201: answer("the drop", DropAnswer) },
      },
      [400, 401, 413, 415, 503],
    ),
    requireSeller,
    async (c) => {
      const { holdMinutes, sale, entriesCloseAt, drawPublicValue, ...input } = parseWith(
        NewDropBody,
        await jsonBody(c),
      );
      const draw = drawTermsOf(shop, { sale, entriesCloseAt, drawPublicValue, holdMinutes, ...input });
      const drop = await shop.createDrop(c.var.seller, {
        ...input,
        holdSeconds: (holdMinutes ?? 0) * 60,
        ...(draw ? { draw } : {}),
      });
      return c.json({ drop: dropJson(await shop.dropWithStock(drop.id)) }, 201);
    },
  );

  api.get(
    "/drops/:ref",
    describe(
      {
        summary: "Read a drop by id or slug",
        tags: ["drops"],
        responses: { 200: answer("the drop", DropAnswer) },
      },
      [404, 503],
    ),
    async (c) => {
      return c.json({ drop: dropJson(await shop.dropWithStock(dropRef(c.req.param("ref")))) });
    },
  );

  api.post(
    "/drops/:ref/purchase",
    describe(
      {
        summary:
          "Buy one unit; the idempotency key (body or Idempotency-Key header) makes a retry the same order",
        description:
          "On a verified-fans drop (`verifiedFans: true`) the Fan-Token header is required and names the fan; `fan` in the body is then ignored and may be left out.",
        tags: ["purchase"],
        security: [{}, ...FAN_AUTH],
        parameters: [IDEMPOTENCY_HEADER, FAN_TOKEN_PARAMETER],
        requestBody: jsonRequest(PurchaseBody),
        responses: {
          201: answer("you bought a unit (on a hold drop: the hold, with its order token)", PurchaseAnswer),
          200: answer(
            "this idempotency key already bought: the same order, nothing new sold",
            PurchaseAnswer,
          ),
        },
      },
      [400, 401, 404, 409, 413, 415, 422, 429, 503],
    ),
    async (c) => {
      const ref = dropRef(c.req.param("ref"));
      const body = parseWith(PurchaseBody, await jsonBody(c));
      const idempotencyKey = idempotencyKeyOf(c.req.header("idempotency-key"), body.idempotencyKey);
      const verified = fans ? await verifiedFan(c, fans) : undefined;
      const fan = body.fan ?? verified?.email;
      if (fan === undefined) {
        // No fan named at all: a verified-fans drop wants the token, any other drop the `fan` field.
        if ((await shop.findDrop(ref)).verifiedFans) throw new FanUnverified();
        throw new InvalidInput([{ path: "fan", message: "fan is required" }]);
      }
      const { order, replay, checkout, variant } = await shop.purchase(ref, {
        fan,
        idempotencyKey,
        verified,
        variant: body.variant,
      });
      if (checkout) return c.json(heldOrderAnswer(checkout, variant), replay ? 200 : 201);
      return c.json({ order: orderJson(order, variant) }, replay ? 200 : 201);
    },
  );

  // The drop's lifecycle (owner only): each answers the drop as it is afterwards, read afresh.
  const dropAnswer = async (drop: { id: string }) => ({ drop: dropJson(await shop.dropWithStock(drop.id)) });

  api.patch(
    "/drops/:ref",
    describe(
      {
        summary:
          "Change a drop: every term before go-live; once live, title, description, per-fan limit, hold length",
        description:
          "A draw drop keeps its terms (docs/draws.md): an edit that would make it instant (holdMinutes 0), open it to unverified fans, put its go-live at or after entriesCloseAt, or switch how it sells is refused with 422 `draw_terms` and the fields in `issues`; its entriesCloseAt may move before go-live only (409 `drop_live` after).",
        tags: ["drops"],
        security: SELLER_AUTH,
        requestBody: jsonRequest(EditDropBody),
        responses: { 200: answer("the drop as it is now", DropAnswer) },
      },
      [400, 401, 404, 409, 413, 415, 422, 503],
    ),
    requireSeller,
    async (c) => {
      const { holdMinutes, ...changes } = parseWith(EditDropBody, await jsonBody(c));
      const holdSeconds = holdMinutes === undefined ? undefined : holdMinutes * 60;
      const ref = dropRef(c.req.param("ref"));
      return c.json(await dropAnswer(await shop.editDrop(c.var.seller, ref, { ...changes, holdSeconds })));
    },
  );

  api.post("/drops/:ref/pause", ownerAction("Pause sales (the kill switch)"), requireSeller, async (c) => {
    return c.json(await dropAnswer(await shop.pauseDrop(c.var.seller, dropRef(c.req.param("ref")), true)));
  });

  api.post("/drops/:ref/resume", ownerAction("Resume sales"), requireSeller, async (c) => {
    return c.json(await dropAnswer(await shop.pauseDrop(c.var.seller, dropRef(c.req.param("ref")), false)));
  });

  api.post("/drops/:ref/cancel", ownerAction("Cancel an upcoming drop"), requireSeller, async (c) => {
    return c.json(await dropAnswer(await shop.cancelDrop(c.var.seller, dropRef(c.req.param("ref")))));
  });

  api.get(
    "/drops/:ref/orders.csv",
    describe(
      {
        summary: "Every order as CSV, for fulfilment",
        tags: ["books"],
        security: SELLER_AUTH,
        responses: {
          200: {
            description: "unit,order_id,fan,price,currency,created_at then one row per order",
            content: { "text/csv": { schema: { type: "string" } } },
          },
        },
      },
      [401, 404, 503],
    ),
    requireSeller,
    async (c) => {
      const { drop, csv } = await shop.ordersCsv(c.var.seller, dropRef(c.req.param("ref")));
      return csvResponse(csv, exportFileName(drop));
    },
  );

  api.get(
    "/drops/:ref/audit",
    describe(
      {
        summary: "The books, counted from the tables",
        tags: ["books"],
        security: SELLER_AUTH,
        responses: { 200: answer("the audit", AuditJson) },
      },
      [401, 404, 503],
    ),
    requireSeller,
    async (c) => {
      return c.json(await shop.audit(c.var.seller, dropRef(c.req.param("ref"))));
    },
  );

  api.get(
    "/drops/:ref/orders",
    describe(
      {
        summary: "The per-unit audit trail, newest first, paged (?cursor=<nextCursor>, ?limit=1..500)",
        tags: ["books"],
        security: SELLER_AUTH,
        responses: { 200: answer("a page of orders", OrdersPage) },
      },
      [400, 401, 404, 503],
    ),
    requireSeller,
    async (c) => {
      const query = parseWith(OrdersQuery, c.req.query());
      const page = await shop.orders(c.var.seller, dropRef(c.req.param("ref")), query);
      return c.json({
        orders: page.orders.map((o) => ({ ...orderJson(o, page.variantOf(o)), attempts: o.attempts })),
        nextCursor: page.nextCursor ?? null,
      });
    },
  );

  return api;
}
