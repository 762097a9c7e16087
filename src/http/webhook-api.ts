/**
 * Seller webhooks over the JSON API (issue 16 §2): endpoints, their secrets, the delivery log, replay and
 * a test ping. The request bodies are exported valibot schemas (for the OpenAPI document).
 */
import { Hono, type MiddlewareHandler } from "hono";
import * as v from "valibot";
import { NotFound } from "../domain/errors";
import type { WebhookService } from "../domain/messages/webhooks";
import type { Seller } from "../domain/types";
import type { DeliveryLogEntry, WebhookEndpoint } from "../repository";
import { EVENT_TYPES } from "../repository/messages/events";
import { answer, describe, jsonRequest, SELLER_AUTH } from "./openapi";
import { jsonBody, parseWith } from "./validation";

type Env = { Variables: { seller: Seller } };

/** `url`: http(s), at most 2,000 characters; `events`: a subset of the event types, absent for all. */
export const NewWebhookBody = v.object({
  url: v.pipe(
    v.string("url is required"),
    v.trim(),
    v.maxLength(2000, "url must be at most 2,000 characters"),
    v.url("url must be a URL like https://example.com/hooks"),
    v.check((url) => /^https?:\/\//i.test(url), "url must start with https:// or http://"),
  ),
  events: v.optional(
    v.pipe(
      v.array(
        v.picklist(EVENT_TYPES, `events may hold only: ${EVENT_TYPES.join(", ")}`),
        "events must be a list of event types",
      ),
      v.minLength(1, "events must name at least one event type (leave it out for all)"),
    ),
  ),
});

const Id = v.pipe(v.string(), v.uuid());

const idParam = (value: string, what: string) => {
  if (!v.is(Id, value)) throw new NotFound(what);
  return value.toLowerCase();
};

export const endpointJson = (e: WebhookEndpoint) => ({
  id: e.id,
  url: e.url,
  events: e.events,
  createdAt: e.createdAt,
  disabledAt: e.disabledAt,
  disabledReason: e.disabledReason,
});

export const deliveryJson = (d: DeliveryLogEntry) => ({
  id: d.id,
  eventId: d.eventId,
  type: d.type,
  status: d.status,
  attempts: d.attempts,
  lastStatus: d.lastStatus,
  lastError: d.lastError,
  nextAttemptAt: d.nextAttemptAt,
  createdAt: d.createdAt,
});

const nullableString = v.nullable(v.string());

/** The answers' shapes, for the OpenAPI document (http/openapi.ts) and its contract tests. */
export const EndpointJson = v.strictObject({
  id: v.string(),
  url: v.string(),
  events: v.nullable(v.array(v.string())),
  createdAt: v.string(),
  disabledAt: nullableString,
  disabledReason: nullableString,
});

export const DeliveryJson = v.strictObject({
  id: v.string(),
  eventId: v.string(),
  type: v.string(),
  status: v.picklist(["pending", "delivered", "failed", "skipped"]),
  attempts: v.number(),
  lastStatus: v.nullable(v.number()),
  lastError: nullableString,
  nextAttemptAt: nullableString,
  createdAt: v.string(),
});

/** A seller's webhook route: bearer API key, and the errors every such route can give. */
const webhookRoute = (summary: string, responses: Parameters<typeof describe>[0]["responses"]) =>
  describe({ summary, tags: ["webhooks"], security: SELLER_AUTH, responses }, [401, 404, 503]);

export function webhookApiRoutes(webhooks: WebhookService, requireSeller: MiddlewareHandler<Env>) {
  const api = new Hono<Env>();
  api.use("/webhooks", requireSeller);
  api.use("/webhooks/*", requireSeller);

  api.post(
    "/webhooks",
    describe(
      {
        summary: "Add a webhook endpoint (Standard Webhooks); the secret is shown once",
        description:
          "`events` absent means every event type. An address that resolves to loopback, private, link-local or metadata ranges is refused (400 on `url`).",
        tags: ["webhooks"],
        security: SELLER_AUTH,
        requestBody: jsonRequest(NewWebhookBody),
        responses: {
          201: answer(
            "the endpoint and its signing secret (whsec_…)",
            v.strictObject({ endpoint: EndpointJson, secret: v.string() }),
          ),
        },
      },
      [400, 401, 413, 415, 503],
    ),
    async (c) => {
      const input = parseWith(NewWebhookBody, await jsonBody(c));
      const { endpoint, secret } = await webhooks.create(c.var.seller, input);
      return c.json({ endpoint: endpointJson(endpoint), secret }, 201);
    },
  );

  api.get(
    "/webhooks",
    webhookRoute("List the seller's webhook endpoints", {
      200: answer("the endpoints", v.strictObject({ endpoints: v.array(EndpointJson) })),
    }),
    async (c) => {
      return c.json({ endpoints: (await webhooks.list(c.var.seller)).map(endpointJson) });
    },
  );

  api.delete(
    "/webhooks/:id",
    webhookRoute("Remove a webhook endpoint", { 204: { description: "removed" } }),
    async (c) => {
      await webhooks.remove(c.var.seller, idParam(c.req.param("id"), "webhook endpoint"));
      return c.body(null, 204);
    },
  );

  api.post(
    "/webhooks/:id/rotate",
    webhookRoute("Rotate an endpoint's secret; the old one keeps signing beside it for 24 h", {
      200: answer("the new secret", v.strictObject({ secret: v.string() })),
    }),
    async (c) => {
      return c.json({
        secret: await webhooks.rotate(c.var.seller, idParam(c.req.param("id"), "webhook endpoint")),
      });
    },
  );

  api.get(
    "/webhooks/:id/deliveries",
    webhookRoute("An endpoint's deliveries, newest first", {
      200: answer("the delivery log", v.strictObject({ deliveries: v.array(DeliveryJson) })),
    }),
    async (c) => {
      const { deliveries } = await webhooks.deliveries(
        c.var.seller,
        idParam(c.req.param("id"), "webhook endpoint"),
      );
      return c.json({ deliveries: deliveries.map(deliveryJson) });
    },
  );

  api.post(
    "/webhooks/:id/deliveries/:deliveryId/replay",
    webhookRoute("Send a delivery again", {
      202: answer("queued", v.strictObject({ replayed: v.boolean() })),
    }),
    async (c) => {
      const id = idParam(c.req.param("id"), "webhook endpoint");
      await webhooks.replay(c.var.seller, id, idParam(c.req.param("deliveryId"), "delivery"));
      return c.json({ replayed: true }, 202);
    },
  );

  api.post(
    "/webhooks/:id/test",
    webhookRoute("Send a ping event now, and answer its delivery", {
      200: answer("the ping's delivery", v.strictObject({ delivery: DeliveryJson })),
    }),
    async (c) => {
      const delivery = await webhooks.test(c.var.seller, idParam(c.req.param("id"), "webhook endpoint"));
      return c.json({ delivery: deliveryJson(delivery) });
    },
  );

  return api;
}
