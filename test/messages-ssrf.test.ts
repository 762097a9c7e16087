import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { isPublicAddress } from "../src/domain/messages/safe-address";
import type { DeliverySchedule } from "../src/domain/messages/schedule";
import { openTestDatabase } from "./support/databases";
import { buy, createDrop, createSeller, json } from "./support/shop-fixtures";
import { eventually, startReceiver } from "./support/webhook-receiver";

/**
 * No server-side request forgery (issue 16 §2): an endpoint resolving to loopback, private, link-local or
 * metadata addresses is refused at creation and again at delivery, where DNS may have changed its answer.
 * Names resolve through an injected resolver (a real one would need the network); no request leaves loopback.
 */

const FAST: DeliverySchedule = {
  retryDelaysMs: [5],
  disableAfterMs: 3_600_000,
  requestTimeoutMs: 2000,
  leaseMs: 5000,
};

describe("webhook addresses", () => {
  it("counts only public unicast addresses as public", () => {
    for (const address of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "fd00:ec2::254",
      "fe80::1",
      "::ffff:127.0.0.1",
      "224.0.0.1",
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    expect(isPublicAddress("93.184.216.34")).toBe(true);
    expect(isPublicAddress("2606:2800:220:1:248:1893:25c8:1946")).toBe(true);
  });
});

describe("webhook endpoints without WEBHOOKS_ALLOW_PRIVATE", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let key: string;
  /** What each name resolves to now; tests change it to rebind a name between creation and delivery. */
  const dns = new Map<string, string[]>();

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    app = createApp({
      db,
      logError: () => undefined,
      messages: { allowPrivate: false, schedule: FAST, resolve: async (host) => dns.get(host) ?? [] },
    });
    key = (await createSeller(app)).apiKey;
  });
  afterAll(async () => db?.close());

  const add = (url: string) =>
    app.request("/api/webhooks", json({ url }, { authorization: `Bearer ${key}` }));

  it("refuses loopback, private, link-local and metadata addresses at creation, by address or by name", async () => {
    dns.set("inside.example", ["10.0.0.7"]);
    dns.set("mixed.example", ["93.184.216.34", "127.0.0.1"]);
    for (const url of [
      "http://127.0.0.1:8080/hook",
      "http://[::1]/hook",
      "http://169.254.169.254/latest/meta-data",
      "http://inside.example/hook",
      "http://mixed.example/hook",
      "http://nowhere.example/hook",
    ]) {
      const res = await add(url);
      expect(res.status, url).toBe(400);
      const body = (await res.json()) as { error: { issues: { path: string; message: string }[] } };
      expect(body.error.issues[0]!.path).toBe("url");
    }
  });

  it("checks again at delivery: a name rebound to loopback after creation gets no request", async () => {
    const receiver = await startReceiver();
    const port = new URL(receiver.url).port;
    dns.set("rebind.example", ["93.184.216.34"]);
    const created = await add(`http://rebind.example:${port}/hooks`);
    expect(created.status).toBe(201);
    const { endpoint } = (await created.json()) as { endpoint: { id: string } };
    dns.set("rebind.example", ["127.0.0.1"]); // the attacker's DNS now points at this server's loopback
    const drop = await createDrop(app, key, { quantity: 1 });
    expect((await buy(app, drop.id, "fan@example.com")).status).toBe(201);
    await eventually(async () => {
      await app.messages.dispatcher.tick();
      const log = await app.request(`/api/webhooks/${endpoint.id}/deliveries`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const { deliveries } = (await log.json()) as { deliveries: { status: string; lastError: string }[] };
      return deliveries.length > 0 && deliveries.every((d) => d.status === "failed");
    });
    const log = await app.request(`/api/webhooks/${endpoint.id}/deliveries`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const { deliveries } = (await log.json()) as { deliveries: { lastError: string }[] };
    expect(deliveries[0]!.lastError).toMatch(/not a public address/);
    expect(receiver.received).toHaveLength(0);
    await receiver.close();
  });

  it("does not follow redirects: a 3xx is a failed attempt", async () => {
    // Allowed to reach loopback here, to see what a redirecting receiver gets.
    const open = createApp({
      db,
      logError: () => undefined,
      messages: { allowPrivate: true, schedule: FAST },
    });
    const target = await startReceiver();
    const redirecting = await startReceiver(() => 307, { location: target.url });
    const seller = await createSeller(open);
    const res = await open.request(
      "/api/webhooks",
      json({ url: redirecting.url }, { authorization: `Bearer ${seller.apiKey}` }),
    );
    const { endpoint } = (await res.json()) as { endpoint: { id: string } };
    const ping = await open.request(`/api/webhooks/${endpoint.id}/test`, {
      method: "POST",
      headers: { authorization: `Bearer ${seller.apiKey}` },
    });
    const { delivery } = (await ping.json()) as { delivery: { status: string; lastStatus: number } };
    expect(delivery).toMatchObject({ status: "pending", lastStatus: 307 });
    expect(target.received).toHaveLength(0);
    await target.close();
    await redirecting.close();
  });
});
