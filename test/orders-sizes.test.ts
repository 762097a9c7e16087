import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { isAvailable, openTestDatabase, type TestBackend } from "./support/databases";
import { createDrop, createSeller, json } from "./support/shop-fixtures";

/**
 * Issue 18 §1 x §3: a seller running the orders of a drop of several sizes. Every order answer of the
 * seller's API names its size, the CSV lists every size's orders, and a size lowered once live (whose unit
 * numbers may then run past its new quantity, docs/variants.md) loses no order from the CSV.
 */

interface ManagedAnswer {
  order: { id: string; unitNo: number; status: string; variant?: { id: string; name: string } };
}

const BACKENDS: TestBackend[] = ["pglite", "postgres-read-committed"];

describe.each(BACKENDS)("the orders of a drop of several sizes on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let key: string;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    app = createApp({ db, logError: () => undefined });
    ({ apiKey: key } = await createSeller(app));
  });
  afterAll(async () => db?.close());
  const it_ = isAvailable(backend) ? it : it.skip;

  const as = (method = "POST", body?: unknown): RequestInit => ({
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const buySize = async (dropId: string, fan: string, variant: string) => {
    const res = await app.request(`/api/drops/${dropId}/purchase`, json({ fan, variant }));
    expect(res.status).toBe(201);
    return ((await res.json()) as { order: { id: string; unitNo: number } }).order;
  };
  const sizesOf = async (dropId: string) =>
    (
      (await (await app.request(`/api/drops/${dropId}`)).json()) as {
        drop: { variants: { id: string; name: string; quantity: number }[] };
      }
    ).drop.variants;
  const csvRows = async (dropId: string, from = app) => {
    const text = await (await from.request(`/api/drops/${dropId}/orders.csv`, as("GET"))).text();
    return text.trimEnd().split("\r\n").slice(1);
  };

  it_("every order answer of the seller's API names its size: read, fulfil, cancel", async () => {
    const drop = await createDrop(app, key, {
      quantity: undefined,
      maxPerFan: 5,
      variants: [
        { name: "S", quantity: 3 },
        { name: "M", quantity: 3 },
      ],
    });
    const [small, medium] = await sizesOf(drop.id);
    const s = await buySize(drop.id, "sam@fans.test", "S");
    const m = await buySize(drop.id, "mo@fans.test", "M");

    const read = (await (await app.request(`/api/seller/orders/${m.id}`, as("GET"))).json()) as ManagedAnswer;
    expect(read.order.variant).toEqual({ id: medium!.id, name: "M" });
    expect(read.order.unitNo).toBe(m.unitNo);
    const fulfilled = (await (await app.request(`/api/orders/${m.id}/fulfil`, as())).json()) as ManagedAnswer;
    expect(fulfilled.order).toMatchObject({ variant: { id: medium!.id, name: "M" } });
    const cancelled = (await (await app.request(`/api/orders/${s.id}/cancel`, as())).json()) as ManagedAnswer;
    expect(cancelled.order).toMatchObject({ status: "cancelled", variant: { id: small!.id, name: "S" } });

    // A drop made without sizes names none, as everywhere else.
    const plain = await createDrop(app, key, { quantity: 2 });
    const res = await app.request(`/api/drops/${plain.id}/purchase`, json({ fan: "p@fans.test" }));
    const { order } = (await res.json()) as { order: { id: string } };
    const one = (await (
      await app.request(`/api/seller/orders/${order.id}`, as("GET"))
    ).json()) as ManagedAnswer;
    expect(one.order).not.toHaveProperty("variant");
  });

  it_("the CSV keeps every order of a size lowered once live, its units past the new quantity", async () => {
    const drop = await createDrop(app, key, {
      quantity: undefined,
      maxPerFan: 5,
      variants: [
        { name: "S", quantity: 10 },
        { name: "M", quantity: 2 },
      ],
    });
    const [small, medium] = await sizesOf(drop.id);
    const bought = [
      await buySize(drop.id, "a@fans.test", "S"),
      await buySize(drop.id, "b@fans.test", "S"),
      await buySize(drop.id, "c@fans.test", "S"),
    ].sort((x, y) => x.unitNo - y.unitNo);
    const medium1 = await buySize(drop.id, "d@fans.test", "M");
    // The lowest unit comes back, and S is lowered to what it still sells: its two orders keep their
    // numbers, the higher of which is at least 3, past S's new quantity of 2.
    expect((await app.request(`/api/orders/${bought[0]!.id}/cancel`, as())).status).toBe(200);
    const lowered = await app.request(
      `/api/drops/${drop.id}`,
      as("PATCH", {
        variants: [
          { id: small!.id, name: "S", quantity: 2 },
          { id: medium!.id, name: "M", quantity: 2 },
        ],
      }),
    );
    expect(lowered.status).toBe(200);
    expect(bought[2]!.unitNo).toBeGreaterThan(2);

    // Read by a process that learns the sizes afresh (another instance, or this one after a restart).
    const rows = await csvRows(drop.id, createApp({ db, logError: () => undefined }));
    const rowOf = (id: string) => rows.find((row) => row.includes(id));
    for (const order of bought) expect(rowOf(order.id), `unit ${order.unitNo} of S`).toContain(",S,");
    expect(rowOf(bought[0]!.id)).toContain(",cancelled,");
    expect(rowOf(bought[2]!.id)!.startsWith(`${bought[2]!.unitNo},`)).toBe(true);
    expect(rowOf(medium1.id)).toContain(",M,");
    expect(rows).toHaveLength(4);
  });
});
