/**
 * A seller's webhook endpoints: add (the secret shown once), list, delete, rotate the secret, read the
 * delivery log, replay a delivery, send a test ping. The address is checked against server-side request
 * forgery here at creation, and again at every delivery (webhook-sender.ts).
 */
import { randomBytes } from "node:crypto";
import type { Database } from "../../db/database";
import * as repo from "../../repository";
import { InvalidInput, NotFound } from "../errors";
import type { Seller } from "../types";
import type { Dispatcher } from "./dispatcher";
import { checkedAddress, type Resolver, UnsafeAddress } from "./safe-address";

/** How long the previous secret keeps signing after a rotation. */
export const ROTATION_GRACE_HOURS = 24;
/** Endpoints per seller: bounds the deliveries one event fans out into (see repository/messages/events.ts). */
export const MAX_ENDPOINTS = 10;

/** A Standard Webhooks secret: `whsec_` and 24 random bytes in base64. */
export const newSecret = () => `whsec_${randomBytes(24).toString("base64")}`;

export interface WebhookServiceDeps {
  db: Database;
  dispatcher: Dispatcher;
  allowPrivate: boolean;
  resolve?: Resolver;
}

export function createWebhookService({ db, dispatcher, allowPrivate, resolve }: WebhookServiceDeps) {
  async function owned(seller: Seller, id: string) {
    const endpoint = await repo.findEndpoint(db, seller.id, id);
    if (!endpoint) throw new NotFound("webhook endpoint");
    return endpoint;
  }

  return {
    async create(seller: Seller, input: { url: string; events?: string[] | undefined }) {
      try {
        await checkedAddress(new URL(input.url), allowPrivate, resolve);
      } catch (error) {
        if (error instanceof UnsafeAddress) throw new InvalidInput([{ path: "url", message: error.message }]);
        throw error;
      }
      if ((await repo.countEndpoints(db, seller.id)) >= MAX_ENDPOINTS) {
        throw new InvalidInput([
          { path: "url", message: `A shop has at most ${MAX_ENDPOINTS} webhook endpoints.` },
        ]);
      }
      const secret = newSecret();
      const endpoint = await repo.insertEndpoint(db, {
        sellerId: seller.id,
        url: input.url,
        events: input.events ? [...new Set(input.events)] : null,
        secret,
      });
      return { endpoint, secret };
    },

    list: (seller: Seller) => repo.listEndpoints(db, seller.id),

    async remove(seller: Seller, id: string) {
      if (!(await repo.deleteEndpoint(db, seller.id, id))) throw new NotFound("webhook endpoint");
    },

    async rotate(seller: Seller, id: string) {
      const secret = newSecret();
      if (!(await repo.rotateEndpointSecret(db, seller.id, id, secret, ROTATION_GRACE_HOURS))) {
        throw new NotFound("webhook endpoint");
      }
      return secret;
    },

    async deliveries(seller: Seller, id: string, limit = 100) {
      const endpoint = await owned(seller, id);
      return { endpoint, deliveries: await repo.listEndpointDeliveries(db, id, limit) };
    },

    /** Due again now; the dispatcher's next tick sends it. */
    async replay(seller: Seller, id: string, deliveryId: string) {
      await owned(seller, id);
      if (!(await repo.requeueDelivery(db, id, deliveryId))) throw new NotFound("delivery");
    },

    /** A `ping` sent at once; answers the delivery as it stands after the attempt. */
    async test(seller: Seller, id: string) {
      await owned(seller, id);
      const deliveryId = await repo.addPing(db, id);
      await dispatcher.sendNow(deliveryId);
      const delivery = await repo.findEndpointDelivery(db, id, deliveryId);
      if (!delivery) throw new NotFound("delivery");
      return delivery;
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
