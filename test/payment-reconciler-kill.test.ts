import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database";
import { createShop, type Shop } from "../src/domain/shop";
import * as repo from "../src/repository";
import { ADMIN_URL, isAvailable, openTestDatabase } from "./support/databases";
import { fakeStripe } from "./support/fake-stripe";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy";

/**
 * Issue 15 §4 for real: the server (`node --import tsx src/server.ts`, PostgreSQL behind a TCP proxy,
 * Stripe's adapter talking to a stand-in in this process) is killed with SIGKILL, or has its database cut
 * and is then killed, between the provider's answer (money taken) and the write that records it. Started
 * again, its reconciler settles the payment: kept for the order while the hold stands, refunded once the
 * hold has ended; never kept for an unpaid order, never two payments kept for one order.
 */
const root = path.resolve(import.meta.dirname, "..");
const backend = "postgres-read-committed";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ServerProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<unknown>;
}

describe.runIf(isAvailable(backend))("a server killed between the payment and its record", () => {
  const stripe = fakeStripe();
  let stripeUrl: string;
  let direct: Database;
  let proxy: TcpProxy;
  let databaseUrl: string;
  let shop: Shop;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    stripeUrl = await stripe.listen();
    direct = await openTestDatabase(backend);
    const { rows } = await direct.query<{ name: string }>("SELECT current_database() AS name");
    const admin = new URL(ADMIN_URL);
    proxy = await startTcpProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
    admin.pathname = `/${rows[0]!.name}`;
    databaseUrl = proxy.urlFor(admin.toString());
    shop = createShop(direct);
  });
  afterAll(async () => {
    for (const server of servers) server.child.kill("SIGKILL");
    await Promise.all(servers.map((server) => server.exited));
    await proxy?.close();
    await direct?.close();
    await stripe.close();
  });

  function startServer(): Promise<ServerProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        DB_ACQUIRE_TIMEOUT_MS: "500",
        PORT: "0",
        SEED_DEMO: "never",
        LOG_LEVEL: "info",
        PURCHASE_RATE_LIMIT: "0",
        STRIPE_SECRET_KEY: "sk_test_local",
        STRIPE_WEBHOOK_SECRET: "whsec_test_local",
        STRIPE_API_URL: stripeUrl,
        PAYMENT_RECONCILE_AFTER_S: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    let output = "";
    return new Promise((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /Dropfront Live on http:\/\/[^:]+:(\d+)/.exec(output);
        if (match) {
          const server = { child, url: `http://127.0.0.1:${match[1]}`, exited };
          servers.push(server);
          resolve(server);
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      void exited.then((how) => reject(new Error(`server exited (${how}) before listening:\n${output}`)));
    });
  }

  async function heldOrder(server: ServerProcess, holdSeconds: number) {
    const { seller } = await shop.createSeller({
      email: `kill-${Math.random()}@example.com`,
      name: "Kill",
      password: "correct horse battery",
    });
    const drop = await shop.createDrop(seller, {
      title: "Killed mid-payment",
      description: "",
      priceCents: 2500,
      currency: "EUR",
      quantity: 1,
      maxPerFan: 1,
      holdSeconds,
    });
    const res = await fetch(`${server.url}/api/drops/${drop.id}/purchase`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ fan: "fan@example.com" }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { order: { id: string }; orderToken: string };
    return { dropId: drop.id, orderId: body.order.id, token: body.orderToken };
  }

  /** The fan pays; the answer never comes (the server dies) or is an error (its database is gone). */
  const pay = (server: ServerProcess, orderId: string, token: string) =>
    fetch(`${server.url}/api/orders/${orderId}/pay`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ card: "4242424242424242" }),
    }).then(
      (res) => res.status,
      () => "no answer",
    );

  async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      await sleep(100);
    }
  }

  const intentsOf = (orderId: string) =>
    [...stripe.intents.values()].filter((i) => i.metadata.order_id === orderId);

  it("killed with SIGKILL after Stripe took the money: restarted, it keeps the payment for the held order", async () => {
    const first = await startServer();
    const { orderId, token } = await heldOrder(first, 600);
    stripe.beforeConfirmAnswer = async () => {
      first.child.kill("SIGKILL");
      await first.exited;
    };
    expect(await pay(first, orderId, token)).toBe("no answer");
    stripe.beforeConfirmAnswer = undefined;
    // What the kill left: money taken, the order held, the attempt started.
    const [intent] = intentsOf(orderId);
    expect(intent?.status).toBe("succeeded");
    expect((await repo.findCheckoutOrder(direct, orderId))?.status).toBe("held");
    expect((await repo.listPaymentAttempts(direct, orderId)).map((a) => a.state)).toEqual(["started"]);

    await startServer();
    const order = await until(
      () => repo.findCheckoutOrder(direct, orderId),
      (o) => o?.status !== "held",
    );
    expect(order).toMatchObject({ status: "paid", paymentRef: intent!.id });
    expect(intentsOf(orderId)).toHaveLength(1);
    expect(stripe.refunds).not.toContain(intent!.id);
    const attempts = await until(
      () => repo.listPaymentAttempts(direct, orderId),
      (list) => list.every((a) => a.state === "kept"),
    );
    expect(attempts).toMatchObject([{ state: "kept", paymentRef: intent!.id }]);
  }, 60_000);

  it("database cut after Stripe took the money, then killed: restarted after the hold ran out, it refunds once", async () => {
    const first = await startServer();
    const { dropId, orderId, token } = await heldOrder(first, 2);
    stripe.beforeConfirmAnswer = async () => {
      proxy.refuse = true;
      proxy.cutAll();
    };
    expect(await pay(first, orderId, token)).toBe(503);
    stripe.beforeConfirmAnswer = undefined;
    first.child.kill("SIGKILL");
    await first.exited;
    const [intent] = intentsOf(orderId);
    expect(intent?.status).toBe("succeeded");
    expect((await repo.listPaymentAttempts(direct, orderId)).map((a) => a.state)).toEqual(["started"]);
    await until(
      () => repo.findCheckoutOrder(direct, orderId),
      (o) => o?.status === "expired",
    );
    proxy.refuse = false;

    await startServer();
    const order = await until(
      () => repo.findCheckoutOrder(direct, orderId),
      (o) => o?.status === "refunded",
    );
    expect(order?.paymentRef).toBe(intent!.id);
    expect(stripe.refunds.filter((id) => id === intent!.id)).toHaveLength(1);
    expect(await repo.listPaymentAttempts(direct, orderId)).toMatchObject([
      { state: "refunded", paymentRef: intent!.id },
    ]);
    expect((await repo.readStock(direct, dropId)).remaining).toBe(1);
  }, 60_000);
});
