/**
 * The seller console's Webhooks page (issue 16 §2): the same service as the JSON API, as forms. Every
 * post is a checked form (own origin + CSRF token); answers are a redirect back to the page, except where a
 * secret was just made, which is shown in that response only.
 */
import { Hono } from "hono";
import * as v from "valibot";
import { WebhooksPage } from "../../../views/seller/webhooks";
import { InvalidInput, NotFound } from "../../domain/errors";
import type { WebhookService } from "../../domain/messages/webhooks";
import type { Seller } from "../../domain/types";
import { NewWebhookBody } from "../../http/webhook-api";
import { EVENT_TYPES } from "../../repository/messages/events";
import { checkedForm } from "../csrf";
import { requireSeller, type SellerEnv } from "../session";

const DELIVERIES_SHOWN = 20;
const Id = v.pipe(v.string(), v.uuid());

export function sellerWebhookRoutes(webhooks: WebhookService) {
  const routes = new Hono<SellerEnv>();
  routes.use("/seller/webhooks", requireSeller);
  routes.use("/seller/webhooks/*", requireSeller);

  const idOf = (value: string) => {
    if (!v.is(Id, value)) throw new NotFound("webhook endpoint");
    return value.toLowerCase();
  };

  async function page(
    seller: Seller,
    csrfToken: string,
    extra: {
      newSecret?: { endpointId: string; secret: string };
      problem?: { url: string; message: string };
    } = {},
  ) {
    const endpoints = await Promise.all(
      (await webhooks.list(seller)).map(async (endpoint) => ({
        endpoint,
        deliveries: (await webhooks.deliveries(seller, endpoint.id, DELIVERIES_SHOWN)).deliveries,
      })),
    );
    return (
      <WebhooksPage
        sellerName={seller.name}
        csrfToken={csrfToken}
        endpoints={endpoints}
        eventTypes={EVENT_TYPES}
        {...extra}
      />
    );
  }

  routes.get("/seller/webhooks", async (c) => c.html(await page(c.var.seller!, c.var.csrfToken)));

  routes.post("/seller/webhooks", async (c) => {
    const form = await checkedForm(c, c.var.csrfToken);
    const events = EVENT_TYPES.filter((type) => form[`event:${type}`] === "on");
    const url = (form.url ?? "").trim();
    try {
      const input = v.parse(NewWebhookBody, { url, ...(events.length > 0 ? { events } : {}) });
      const { endpoint, secret } = await webhooks.create(c.var.seller!, input);
      c.header("Cache-Control", "no-store");
      return c.html(
        await page(c.var.seller!, c.var.csrfToken, { newSecret: { endpointId: endpoint.id, secret } }),
        201,
      );
    } catch (error) {
      const message =
        error instanceof v.ValiError
          ? (error.issues[0]?.message ?? "The URL is not valid.")
          : error instanceof InvalidInput
            ? (error.issues[0]?.message ?? error.message)
            : undefined;
      if (message === undefined) throw error;
      return c.html(await page(c.var.seller!, c.var.csrfToken, { problem: { url, message } }), 400);
    }
  });

  routes.post("/seller/webhooks/:id/rotate", async (c) => {
    await checkedForm(c, c.var.csrfToken);
    const id = idOf(c.req.param("id"));
    const secret = await webhooks.rotate(c.var.seller!, id);
    c.header("Cache-Control", "no-store");
    return c.html(await page(c.var.seller!, c.var.csrfToken, { newSecret: { endpointId: id, secret } }));
  });

  routes.post("/seller/webhooks/:id/test", async (c) => {
    await checkedForm(c, c.var.csrfToken);
    await webhooks.test(c.var.seller!, idOf(c.req.param("id")));
    return c.redirect("/seller/webhooks", 303);
  });

  routes.post("/seller/webhooks/:id/delete", async (c) => {
    await checkedForm(c, c.var.csrfToken);
    await webhooks.remove(c.var.seller!, idOf(c.req.param("id")));
    return c.redirect("/seller/webhooks", 303);
  });

  routes.post("/seller/webhooks/:id/deliveries/:deliveryId/replay", async (c) => {
    await checkedForm(c, c.var.csrfToken);
    const deliveryId = c.req.param("deliveryId");
    if (!v.is(Id, deliveryId)) throw new NotFound("delivery");
    await webhooks.replay(c.var.seller!, idOf(c.req.param("id")), deliveryId.toLowerCase());
    return c.redirect("/seller/webhooks", 303);
  });

  return routes;
}
