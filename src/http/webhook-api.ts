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
import { EVENT_TYPES } from "../repository/events";
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

export function webhookApiRoutes(webhooks: WebhookService, requireSeller: MiddlewareHandler<Env>) {
  const api = new Hono<Env>();
  api.use("/webhooks", requireSeller);
  api.use("/webhooks/*", requireSeller);

  api.post("/webhooks", async (c) => {
    const input = parseWith(NewWebhookBody, await jsonBody(c));
    const { endpoint, secret } = await webhooks.create(c.var.seller, input);
    return c.json({ endpoint: endpointJson(endpoint), secret }, 201);
  });

  api.get("/webhooks", async (c) => {
    return c.json({ endpoints: (await webhooks.list(c.var.seller)).map(endpointJson) });
  });

  api.delete("/webhooks/:id", async (c) => {
    await webhooks.remove(c.var.seller, idParam(c.req.param("id"), "webhook endpoint"));
    return c.body(null, 204);
  });

  api.post("/webhooks/:id/rotate", async (c) => {
    return c.json({
      secret: await webhooks.rotate(c.var.seller, idParam(c.req.param("id"), "webhook endpoint")),
    });
  });

  api.get("/webhooks/:id/deliveries", async (c) => {
    const { deliveries } = await webhooks.deliveries(
      c.var.seller,
      idParam(c.req.param("id"), "webhook endpoint"),
    );
    return c.json({ deliveries: deliveries.map(deliveryJson) });
  });

  api.post("/webhooks/:id/deliveries/:deliveryId/replay", async (c) => {
    const id = idParam(c.req.param("id"), "webhook endpoint");
    await webhooks.replay(c.var.seller, id, idParam(c.req.param("deliveryId"), "delivery"));
    return c.json({ replayed: true }, 202);
  });

  api.post("/webhooks/:id/test", async (c) => {
    const delivery = await webhooks.test(c.var.seller, idParam(c.req.param("id"), "webhook endpoint"));
    return c.json({ delivery: deliveryJson(delivery) });
  });

  return api;
}
