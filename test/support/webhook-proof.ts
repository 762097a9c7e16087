import { Webhook } from "standardwebhooks";
import { expect } from "vitest";
import type { Queryable } from "../../src/db/database";
import type { ReceivedWebhook } from "./webhook-receiver";

/**
 * The end-to-end checks on what a receiver got for one drop (issue 16 §4): every signature verifies;
 * every order.created of the drop arrived, naming exactly the drop's orders (`units` of them, none the
 * database lacks); the per-drop positions that arrived have no gaps.
 */
export async function expectEveryOrderAnnounced(
  db: Queryable,
  received: ReceivedWebhook[],
  secret: string,
  dropId: string,
  units: number,
): Promise<void> {
  for (const request of received) new Webhook(secret).verify(request.body, request.headers);
  const payloads = received
    .filter((r) => r.status >= 200 && r.status < 300)
    .map(
      (r) =>
        JSON.parse(r.body) as {
          type: string;
          data: { dropId?: string; orderId?: string; position?: number };
        },
    )
    .filter((p) => p.data.dropId === dropId);
  const created = new Set(payloads.filter((p) => p.type === "order.created").map((p) => p.data.orderId));
  const { rows } = await db.query<{ id: string }>("SELECT id FROM orders WHERE drop_id = $1::uuid", [dropId]);
  expect(rows).toHaveLength(units);
  expect(created.size).toBe(units);
  expect(created).toEqual(new Set(rows.map((row) => row.id)));
  const positions = [...new Set(payloads.map((p) => Number(p.data.position)))].sort((a, b) => a - b);
  expect(positions).toEqual(positions.map((_, i) => i + 1));
  // drop.live, the orders, drop.sold_out: nothing more and nothing less for an instant drop that sold out.
  expect(positions).toHaveLength(units + 2);
}
