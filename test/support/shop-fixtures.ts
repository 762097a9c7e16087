import { randomUUID } from "node:crypto";
import type { Hono } from "hono";
import { createApp } from "../../src/app";
import type { NewDropInput } from "../../src/domain/shop";
import { openTestDatabase } from "./databases";

/** Small helpers to drive the JSON API through `app.request`, the way a client would. */

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

export async function createSeller(app: Hono): Promise<{ apiKey: string; sellerId: string }> {
  const res = await app.request(
    "/api/sellers",
    json({ email: `seller-${randomUUID()}@example.com`, password: "correct horse battery", name: "Seller" }),
  );
  if (res.status !== 201) throw new Error(`seller not created: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { apiKey: string; seller: { id: string } };
  return { apiKey: body.apiKey, sellerId: body.seller.id };
}

export interface DropJson {
  id: string;
  slug: string;
  quantity: number;
  remaining: number;
  status: string;
  startsAt: string;
  serverTime: string;
  maxPerFan: number;
  priceCents: number;
}

export async function createDrop(
  app: Hono,
  apiKey: string,
  overrides: Record<string, unknown> = {},
): Promise<DropJson> {
  const res = await app.request(
    "/api/drops",
    json(
      {
        title: "Test drop",
        priceCents: 2500,
        quantity: 10,
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        ...overrides,
      },
      { authorization: `Bearer ${apiKey}` },
    ),
  );
  if (res.status !== 201) throw new Error(`drop not created: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { drop: DropJson }).drop;
}

export interface OrderJson {
  id: string;
  unitNo: number;
  dropId: string;
  fan: string;
  priceCents: number;
  createdAt: string;
}

export interface PurchaseAnswer {
  order?: OrderJson;
  error?: { code: string; message: string; startsAt?: string; issues?: { path: string; message: string }[] };
}

export async function buy(
  app: Hono,
  ref: string,
  fan: string,
  idempotencyKey?: string,
): Promise<{ status: number; body: PurchaseAnswer; retryAfter: string | null }> {
  const res = await app.request(
    `/api/drops/${ref}/purchase`,
    json({ fan, ...(idempotencyKey ? { idempotencyKey } : {}) }),
  );
  return {
    status: res.status,
    body: (await res.json()) as PurchaseAnswer,
    retryAfter: res.headers.get("retry-after"),
  };
}

export async function audit(app: Hono, ref: string, apiKey: string) {
  const res = await app.request(`/api/drops/${ref}/audit`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, number> };
}

/**
 * An app on a fresh embedded database with one seller, for tests that work below the HTTP API.
 * @example beforeAll(async () => ({ db, app, seller } = await appWithSeller("fan@example.com")));
 */
export async function appWithSeller(email: string) {
  const db = await openTestDatabase("pglite");
  const app = createApp({ db, logError: () => undefined });
  const { seller } = await app.shop.createSeller({ email, name: "Ada", password: "a long password" });
  return { db, app, seller };
}

/** A drop's terms for `shop.createDrop`: a live 5-unit hoodie drop unless overridden. */
export const hoodieDrop = (overrides: Partial<NewDropInput> = {}): NewDropInput => ({
  title: "Hoodie",
  description: "",
  priceCents: 4900,
  currency: "USD",
  quantity: 5,
  startsAt: new Date(Date.now() - 60_000),
  maxPerFan: 1,
  ...overrides,
});
