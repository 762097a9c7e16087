import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { openApiDocument } from "../src/http/openapi";
import * as repo from "../src/repository";
import { isoFromNow } from "./support/clock";
import { openTestDatabase } from "./support/databases";
import { imageForm, makePicture } from "./support/pictures";
import { json } from "./support/shop-fixtures";
import { startReceiver } from "./support/webhook-receiver";

/**
 * The OpenAPI document (GET /api/openapi.json) is generated from the routes' own schemas. These tests hold it
 * to three things: every API route of the app is in it, with its answers and error codes (routes are read from
 * Hono's router, so a new route without a `describe(...)` fails here); it is a valid OpenAPI 3.1 document; and
 * real answers of the running app, successes and errors, match what it says for their route and status.
 */
type Doc = Awaited<ReturnType<typeof openApiDocument>>;
type Operation = {
  summary?: string;
  responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
};

/** Routes the document is about itself: served, not described. */
const SELF = new Set(["/api/openapi.json", "/api/docs"]);

/** Every `METHOD /path` under /api that the app routes and the document does not describe fully. */
function undocumentedRoutes(app: Hono, doc: Doc): string[] {
  const missing = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL" || !route.path.startsWith("/api/") || SELF.has(route.path)) continue;
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    const op = (doc.paths?.[path] as Record<string, Operation> | undefined)?.[route.method.toLowerCase()];
    const statuses = Object.keys(op?.responses ?? {});
    const described =
      !!op?.summary && statuses.some((s) => s.startsWith("2")) && statuses.some((s) => /^[45]/.test(s));
    if (!described) missing.add(`${route.method} ${route.path}`);
  }
  return [...missing];
}

let db: Database;
let app: ReturnType<typeof createApp>;
let doc: Doc;

beforeAll(async () => {
  db = await openTestDatabase("pglite");
  // Webhooks may reach loopback here: the contract test's receiver listens on 127.0.0.1.
  app = createApp({
    db,
    logError: () => undefined,
    purchaseRateLimit: { perSecond: 0.001, burst: 40 },
    messages: { allowPrivate: true },
  });
  doc = (await (await app.request("/api/openapi.json")).json()) as Doc;
});
afterAll(async () => db?.close());

describe("the OpenAPI document", () => {
  test("describes every API route of the app, with its answers and error codes", () => {
    expect(Object.keys(doc.paths ?? {}).length).toBeGreaterThanOrEqual(12);
    expect(undocumentedRoutes(app, doc)).toEqual([]);
  });

  test("control: a route added without a description is reported", async () => {
    const extra = new Hono();
    extra.route("/", app);
    extra.get("/api/new-thing", (c) => c.json({}));
    expect(undocumentedRoutes(extra, await openApiDocument(extra))).toEqual(["GET /api/new-thing"]);
  });

  test("is a valid OpenAPI 3.1 document", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const result = await new Validator().validate(structuredClone(doc) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  test("GET /api/docs renders the reference from it, with no script", async () => {
    const res = await app.request("/api/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("POST /api/drops/{ref}/purchase");
    expect(html).not.toMatch(/<script(?![^>]*src="\/static\/)/);
  });
});

describe("contract: real answers match the document", () => {
  const ajv = new Ajv2020({ strict: false });
  const seen: string[] = [];

  /** Sends the request and checks its answer against the document's schema for its route and status. */
  async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
    const res = await app.request(path, init);
    const method = (init.method ?? "GET").toLowerCase();
    const pathname = new URL(path, "http://x").pathname;
    const template = Object.keys(doc.paths ?? {}).find((t) =>
      new RegExp(`^${t.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(pathname),
    );
    expect(template, `${method} ${pathname} is in the document`).toBeDefined();
    const op = (doc.paths![template!] as Record<string, Operation>)[method];
    const documented = op?.responses?.[String(res.status)];
    expect(documented, `${method} ${template} documents ${res.status}`).toBeDefined();
    const type = (res.headers.get("content-type") ?? "").split(";")[0]!;
    expect(
      Object.keys(documented!.content ?? {}),
      `${method} ${template} ${res.status} content type`,
    ).toEqual(res.status === 204 ? [] : [type]);
    const body = type === "application/json" ? await res.json() : await res.text();
    const schema = documented!.content?.[type]?.schema;
    if (type === "application/json") {
      const valid = ajv.validate(schema!, body);
      expect(ajv.errors ?? [], `${method} ${template} ${res.status}: ${JSON.stringify(body)}`).toEqual([]);
      expect(valid).toBe(true);
    }
    seen.push(`${method} ${template} ${res.status}`);
    return { status: res.status, body };
  }

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const send = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
    ...json(body, headers),
    method,
  });

  // Before the purchase rate limit is spent by the test below it.
  test("verified fans: codes, sessions and a verified-fans drop's purchase, successes and errors", async () => {
    const seller = await call(
      "/api/sellers",
      json({ email: `fans-${Date.now()}@example.com`, password: "a long password", name: "Fans" }),
    );
    const key = (seller.body as { apiKey: string }).apiKey;
    const email = `verified-${Date.now()}@example.com`;
    expect((await call("/api/fans/codes", json({ email }))).status).toBe(202);
    expect((await call("/api/fans/codes", json({ email: "nope" }))).status).toBe(400);
    await app.fans.settled();
    const mail = (await repo.listMailbox(db, 50)).find((m) => m.recipient === email)!;
    const code = /\b(\d{6})\b/.exec(mail.subject)![1]!;
    const wrong = code === "000000" ? "111111" : "000000";
    expect((await call("/api/fans/sessions", json({ email, code: wrong }))).status).toBe(422);
    const session = await call("/api/fans/sessions", json({ email, code }));
    expect(session.status).toBe(201);
    const token = (session.body as { fanToken: string }).fanToken;
    const created = await call(
      "/api/drops",
      json({ title: "Verified", priceCents: 100, quantity: 2, verifiedFans: true }, bearer(key)),
    );
    expect(created.status).toBe(201);
    const dropId = (created.body as { drop: { id: string } }).drop.id;
    expect((await call(`/api/drops/${dropId}/purchase`, json({ fan: "someone" }))).status).toBe(401);
    expect((await call(`/api/drops/${dropId}/purchase`, json({}, { "fan-token": token }))).status).toBe(201);
  });

  test("sellers, drops, purchases, the books and checkout, successes and errors", async () => {
    const email = `contract-${Date.now()}@example.com`;
    const seller = await call("/api/sellers", json({ email, password: "a long password", name: "Ada" }));
    expect(seller.status).toBe(201);
    const key = (seller.body as { apiKey: string }).apiKey;
    expect(
      (await call("/api/sellers", json({ email, password: "a long password", name: "Ada" }))).status,
    ).toBe(409);
    expect((await call("/api/sellers", json({ email: "nope" }))).status).toBe(400);
    expect(
      (await call("/api/sellers", { method: "POST", headers: { "content-type": "text/plain" }, body: "x" }))
        .status,
    ).toBe(415);

    const created = await call(
      "/api/drops",
      json(
        { title: "Contract", priceCents: 1000, quantity: 3, startsAt: isoFromNow(3_600_000) },
        bearer(key),
      ),
    );
    expect(created.status).toBe(201);
    const drop = (created.body as { drop: { id: string; slug: string } }).drop;
    expect((await call("/api/drops", json({ title: "x", priceCents: 1, quantity: 1 }))).status).toBe(401);
    expect((await call(`/api/drops/${drop.slug}`)).status).toBe(200);
    expect((await call("/api/drops/no-such-drop")).status).toBe(404);
    expect((await call(`/api/drops/${drop.slug}/purchase`, json({ fan: "early@example.com" }))).status).toBe(
      409,
    );

    const live = send("PATCH", { startsAt: isoFromNow(0) }, bearer(key));
    expect((await call(`/api/drops/${drop.id}`, live)).status).toBe(200);
    expect((await call(`/api/drops/${drop.id}`, send("PATCH", { priceCents: 5 }, bearer(key)))).status).toBe(
      409,
    );
    expect((await call(`/api/drops/${drop.id}`, send("PATCH", { nope: 1 }, bearer(key)))).status).toBe(400);

    const purchase = (fan: string, k: string) =>
      call(`/api/drops/${drop.slug}/purchase`, json({ fan }, { "idempotency-key": k }));
    expect((await purchase("fan@example.com", "k1")).status).toBe(201);
    expect((await purchase("fan@example.com", "k1")).status).toBe(200);
    expect((await purchase("other@example.com", "k1")).status).toBe(422);
    expect((await call(`/api/drops/${drop.slug}/purchase`, json({}))).status).toBe(400);

    expect((await call(`/api/drops/${drop.id}/pause`, { method: "POST", headers: bearer(key) })).status).toBe(
      200,
    );
    expect((await purchase("paused@example.com", "k2")).status).toBe(409);
    expect(
      (await call(`/api/drops/${drop.id}/resume`, { method: "POST", headers: bearer(key) })).status,
    ).toBe(200);
    expect(
      (await call(`/api/drops/${drop.id}/cancel`, { method: "POST", headers: bearer(key) })).status,
    ).toBe(409);
    expect((await call(`/api/drops/${drop.id}/pause`, { method: "POST" })).status).toBe(401);

    expect((await call(`/api/drops/${drop.id}/audit`, { headers: bearer(key) })).status).toBe(200);
    expect((await call(`/api/drops/${drop.id}/orders?limit=2`, { headers: bearer(key) })).status).toBe(200);
    expect((await call(`/api/drops/${drop.id}/orders?limit=x`, { headers: bearer(key) })).status).toBe(400);
    expect((await call(`/api/drops/${drop.id}/orders.csv`, { headers: bearer(key) })).status).toBe(200);

    const picture = await makePicture(64, 48);
    const upload = { method: "POST", headers: bearer(key), body: imageForm(picture) };
    const image = await call(`/api/drops/${drop.id}/images`, upload);
    expect(image.status).toBe(201);
    const imageId = (image.body as { image: { id: string } }).image.id;
    const remove = { method: "DELETE", headers: bearer(key) };
    expect((await call(`/api/drops/${drop.id}/images/${imageId}`, remove)).status).toBe(204);
    expect((await call(`/api/drops/${drop.id}/images/${imageId}`, remove)).status).toBe(404);

    // Checkout: a hold drop's purchase, the order read, paid, declined, released.
    const holdDrop = await call(
      "/api/drops",
      json({ title: "Held", priceCents: 900, quantity: 5, holdMinutes: 5 }, bearer(key)),
    );
    expect(holdDrop.status).toBe(201);
    const holdSlug = (holdDrop.body as { drop: { slug: string } }).drop.slug;
    const hold = async (fan: string) => {
      const res = await call(`/api/drops/${holdSlug}/purchase`, json({ fan }));
      expect(res.status).toBe(201);
      return res.body as { order: { id: string }; orderToken: string };
    };
    const first = await hold("payer@example.com");
    const order = `/api/orders/${first.order.id}`;
    expect((await call(order, { headers: bearer(first.orderToken) })).status).toBe(200);
    expect((await call(order)).status).toBe(401);
    const pay = (card: string) => call(`${order}/pay`, json({ card }, bearer(first.orderToken)));
    expect((await pay("4000000000000002")).status).toBe(402);
    expect((await pay("4000002500003155")).status).toBe(202);
    const second = await hold("giver@example.com");
    const release = { method: "POST", headers: bearer(second.orderToken) };
    expect((await call(`/api/orders/${second.order.id}/release`, release)).status).toBe(200);
    const third = await hold("buyer@example.com");
    expect(
      (
        await call(
          `/api/orders/${third.order.id}/pay`,
          json({ card: "4242424242424242" }, bearer(third.orderToken)),
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await call(
          `/api/orders/${third.order.id}/pay`,
          json({ card: "4242424242424242" }, bearer(third.orderToken)),
        )
      ).status,
    ).toBe(409);
    expect((await call("/api/payments/webhook", json({ type: "nothing" }))).status).toBeLessThan(500);

    // The per-client purchase limit answers in the error shape too.
    let limited = 0;
    for (let i = 0; i < 45 && limited === 0; i++) {
      if ((await purchase(`many-${i}@example.com`, `many-${i}`)).status === 429) limited++;
    }
    expect(limited).toBe(1);

    expect(new Set(seen.map((s) => s.split(" ")[2])).size).toBeGreaterThanOrEqual(10);
  });

  test("webhooks: endpoints, secrets, the delivery log, replay and a test ping", async () => {
    const email = `hooks-${Date.now()}@example.com`;
    const seller = await call("/api/sellers", json({ email, password: "a long password", name: "Hooks" }));
    const key = (seller.body as { apiKey: string }).apiKey;
    const receiver = await startReceiver();
    try {
      const created = await call(
        "/api/webhooks",
        json({ url: receiver.url, events: ["order.created"] }, bearer(key)),
      );
      expect(created.status).toBe(201);
      const id = (created.body as { endpoint: { id: string } }).endpoint.id;
      expect((await call("/api/webhooks", json({ url: "ftp://nope" }, bearer(key)))).status).toBe(400);
      expect((await call("/api/webhooks", json({ url: receiver.url }))).status).toBe(401);
      expect((await call("/api/webhooks", { headers: bearer(key) })).status).toBe(200);
      const ping = await call(`/api/webhooks/${id}/test`, { method: "POST", headers: bearer(key) });
      expect(ping.status).toBe(200);
      const deliveryId = (ping.body as { delivery: { id: string } }).delivery.id;
      expect((await call(`/api/webhooks/${id}/deliveries`, { headers: bearer(key) })).status).toBe(200);
      const replay = `/api/webhooks/${id}/deliveries/${deliveryId}/replay`;
      expect((await call(replay, { method: "POST", headers: bearer(key) })).status).toBe(202);
      expect(
        (await call(`/api/webhooks/${id}/rotate`, { method: "POST", headers: bearer(key) })).status,
      ).toBe(200);
      const remove = { method: "DELETE", headers: bearer(key) };
      expect((await call(`/api/webhooks/${id}`, remove)).status).toBe(204);
      expect((await call(`/api/webhooks/${id}`, remove)).status).toBe(404);
    } finally {
      await receiver.close();
    }
  });
});
