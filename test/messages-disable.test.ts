import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import type { DeliverySchedule } from "../src/domain/messages/schedule";
import { openTestDatabase } from "./support/databases";
import { buy } from "./support/shop-fixtures";
import { eventually, startReceiver } from "./support/webhook-receiver";
import { TestBrowser } from "./web-seller-browser";

/**
 * Issue 16 §2: an endpoint failing for three days is disabled, and the seller sees why — in the API and on
 * the console's Webhooks page. The three days are not waited for: the endpoint's `failing_since` is set
 * three days back in the database (what three days of failures leave behind), then one more failure comes.
 */
const SCHEDULE: DeliverySchedule = {
  retryDelaysMs: [5, 5, 5, 5, 5, 5, 5, 5],
  disableAfterMs: 3 * 24 * 3_600_000,
  requestTimeoutMs: 2000,
  leaseMs: 5000,
};

describe("an endpoint failing for three days", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    app = createApp({ db, logError: () => undefined, messages: { allowPrivate: true, schedule: SCHEDULE } });
  });
  afterAll(async () => db?.close());

  it("is disabled on its next failure, with the reason on the Webhooks page", async () => {
    const ada = new TestBrowser(app);
    await ada.signUp({ name: "Ada", email: "ada-hooks@example.com", password: "correct horse battery" });
    const receiver = await startReceiver(() => 500);
    const added = await ada.submit("/seller/webhooks", "/seller/webhooks", {
      url: receiver.url,
      "event:order.created": "on",
    });
    expect(added.status).toBe(201);
    const { rows } = await db.query<{ id: string }>("SELECT id FROM webhook_endpoints WHERE url = $1::text", [
      receiver.url,
    ]);
    const endpointId = rows[0]!.id;
    const made = await ada.submit("/seller/drops/new", "/seller/drops", {
      title: "Hooked Tee",
      price: "20.00",
      currency: "USD",
      quantity: "2",
      maxPerFan: "1",
      goLiveNow: "on",
      timeZone: "UTC",
    });
    expect(made.status).toBe(303);
    const slug = made.headers.get("location")!.replace("/seller/drops/", "");
    const page = async () => (await ada.get("/seller/webhooks")).text();

    // Failing for an hour: still enabled, retried.
    expect((await buy(app, slug, "one@example.com")).status).toBe(201);
    await eventually(async () => {
      await app.messages.dispatcher.tick();
      return receiver.received.length >= 1;
    });
    expect(await page()).not.toContain("Disabled:");

    // Three days of failures, then one more: disabled, and the reason says so.
    await db.query(
      "UPDATE webhook_endpoints SET failing_since = now() - interval '72 hours 1 minute' WHERE id = $1::uuid",
      [endpointId],
    );
    const sent = receiver.received.length;
    await eventually(async () => {
      await app.messages.dispatcher.tick();
      return receiver.received.length > sent;
    });
    await app.messages.dispatcher.runUntilIdle();
    expect(await page()).toContain("Disabled: Every delivery failed for 72 hours.");
    const after = receiver.received.length;
    await app.messages.dispatcher.runUntilIdle();
    expect(receiver.received.length).toBe(after); // a disabled endpoint gets nothing more
    await receiver.close();
  });
});
