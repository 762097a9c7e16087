import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { openTestDatabase } from "./support/databases";
import { eventually, startReceiver } from "./support/webhook-receiver";
import { TestBrowser } from "./web-seller-browser";

/** The seller console's Webhooks page (issue 16 §2): add, see the secret once, test, log, replay, rotate, delete. */

describe("the Webhooks page", () => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let ada: TestBrowser;

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    app = createApp({ db, logError: () => undefined, messages: { allowPrivate: true } });
    ada = new TestBrowser(app);
    await ada.signUp({ name: "Ada", email: "ada-hooks@example.com", password: "correct horse battery" });
  });
  afterAll(async () => db?.close());

  it("is for signed-in sellers only", async () => {
    const res = await new TestBrowser(app).get("/seller/webhooks");
    expect(res.status).toBe(303);
  });

  it("adds an endpoint, shows its secret once, tests it and logs the delivery, replays, rotates, deletes", async () => {
    const receiver = await startReceiver();
    const refused = await ada.submit("/seller/webhooks", "/seller/webhooks", { url: "not a url" });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("url must be a URL");

    const added = await ada.submit("/seller/webhooks", "/seller/webhooks", {
      url: receiver.url,
      "event:order.created": "on",
    });
    expect(added.status).toBe(201);
    expect(added.headers.get("cache-control")).toBe("no-store");
    const html = await added.text();
    const secret = /value="(whsec_[^"]+)"/.exec(html)?.[1];
    expect(secret).toBeDefined();
    const page = await (await ada.get("/seller/webhooks")).text();
    expect(page).toContain(receiver.url);
    expect(page).not.toContain(secret!);
    const endpointId = /id="endpoint-([0-9a-f-]{36})"/.exec(page)![1]!;

    const tested = await ada.submit("/seller/webhooks", `/seller/webhooks/${endpointId}/test`, {});
    expect(tested.status).toBe(303);
    expect(() =>
      new Webhook(secret!).verify(receiver.received[0]!.body, receiver.received[0]!.headers),
    ).not.toThrow();
    const log = await (await ada.get("/seller/webhooks")).text();
    expect(log).toContain("HTTP 200");
    expect(log).toContain("Delivered");
    const deliveryId = /id="delivery-([0-9a-f-]{36})"/.exec(log)![1]!;

    const replayed = await ada.submit(
      "/seller/webhooks",
      `/seller/webhooks/${endpointId}/deliveries/${deliveryId}/replay`,
      {},
    );
    expect(replayed.status).toBe(303);
    await eventually(async () => {
      await app.messages.dispatcher.tick();
      return receiver.received.length === 2;
    });

    const rotated = await ada.submit("/seller/webhooks", `/seller/webhooks/${endpointId}/rotate`, {});
    const newSecret = /value="(whsec_[^"]+)"/.exec(await rotated.text())?.[1];
    expect(newSecret).toBeDefined();
    expect(newSecret).not.toBe(secret);

    const deleted = await ada.submit("/seller/webhooks", `/seller/webhooks/${endpointId}/delete`, {});
    expect(deleted.status).toBe(303);
    expect(await (await ada.get("/seller/webhooks")).text()).toContain("No endpoints yet.");
    await receiver.close();
  });

  it("refuses a form from another site", async () => {
    const res = await ada.post(
      "/seller/webhooks",
      { url: "https://example.com" },
      { origin: "https://evil.example" },
    );
    expect(res.status).toBe(403);
  });
});
