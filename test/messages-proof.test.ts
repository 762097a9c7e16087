import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import type { DeliverySchedule } from "../src/domain/messages/schedule";
import { Lifecycle } from "../src/process/lifecycle";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { buy, createDrop, createSeller, json } from "./support/shop-fixtures";
import { expectEveryOrderAnnounced } from "./support/webhook-proof";
import { eventually, startReceiver } from "./support/webhook-receiver";

/**
 * The end-to-end proof of issue 16 §4, in one process per backend: two apps on one database stand for two
 * processes, each with its own dispatcher ticking on its own; a 1,000-unit stampede spread over both; a
 * receiver that answers 500 to a fifth of the requests and is restarted mid-run. (The same through two real
 * processes behind HAProxy is test/messages-haproxy.test.ts.)
 */

const UNITS = 1000;
const FAST: DeliverySchedule = {
  retryDelaysMs: [20, 50, 100, 200, 200, 200, 200, 200, 200, 200],
  disableAfterMs: 3_600_000,
  requestTimeoutMs: 5000,
  leaseMs: 10_000,
};

describe.each(ALL_BACKENDS)("every order announced, through two dispatchers, on %s", (backend) => {
  let db: Database;
  const it_ = isAvailable(backend) ? it : it.skip;

  beforeAll(async () => {
    if (isAvailable(backend)) db = await openTestDatabase(backend, { poolSize: 8 });
  });
  afterAll(async () => db?.close());

  it_(
    `${UNITS} order.created, once per order at least, signed, gap-free, despite 500s and a restart`,
    async () => {
      const receiver = await startReceiver((_, index) => (index % 5 === 4 ? 500 : 200));
      const lifecycles = [new Lifecycle(), new Lifecycle()];
      const apps = lifecycles.map((lifecycle) =>
        createApp({
          db,
          lifecycle,
          logError: () => undefined,
          messages: { allowPrivate: true, schedule: FAST, tickMs: 25 },
        }),
      );
      const [a, b] = apps as [ReturnType<typeof createApp>, ReturnType<typeof createApp>];
      try {
        const { apiKey } = await createSeller(a);
        const hook = await a.request(
          "/api/webhooks",
          json(
            { url: receiver.url, events: ["order.created", "drop.live", "drop.sold_out"] },
            {
              authorization: `Bearer ${apiKey}`,
            },
          ),
        );
        const { secret } = (await hook.json()) as { secret: string };
        const drop = await createDrop(a, apiKey, { quantity: UNITS, maxPerFan: 1 });
        let restarted = false;
        const fan = async (i: number) => {
          const app = i % 2 === 0 ? a : b;
          for (;;) {
            const answer = await buy(app, drop.id, `fan${i}@example.com`);
            if (!restarted && receiver.received.length > UNITS / 4) {
              restarted = true;
              await receiver.restart(200);
            }
            if (answer.status !== 503) return answer.status;
          }
        };
        const statuses = await Promise.all(Array.from({ length: UNITS + 100 }, (_, i) => fan(i)));
        expect(statuses.filter((s) => s === 201)).toHaveLength(UNITS);
        const announced = () =>
          new Set(
            receiver
              .accepted()
              .filter((p) => p.type === "order.created" && p.data.dropId === drop.id)
              .map((p) => p.data.orderId),
          ).size;
        await eventually(async () => {
          if (!restarted && receiver.received.length > UNITS / 4) {
            restarted = true;
            await receiver.restart(200);
          }
          return announced() >= UNITS && receiver.accepted().some((p) => p.type === "drop.sold_out");
        }, 240_000);
        expect(restarted).toBe(true);
        expect(receiver.received.some((r) => r.status === 500)).toBe(true);
        await expectEveryOrderAnnounced(db, receiver.received, secret, drop.id, UNITS);
      } finally {
        for (const lifecycle of lifecycles) lifecycle.drain(); // stops both dispatchers
        await receiver.close();
      }
    },
    300_000,
  );
});
