import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for api.stripe.com answering the few endpoints the Stripe adapter uses (no network): create
 * a PaymentIntent (keyed by idempotency key, as Stripe keys them), confirm it, retrieve it (with its latest
 * charge, which says whether it was refunded), refund it. It lives in the test's process, so it outlives a
 * server process the test kills. `beforeConfirmAnswer` runs after a confirm took the money and before the
 * answer is sent: a test cuts the database or kills the server there.
 */
export interface Intent {
  id: string;
  object: "payment_intent";
  amount: number;
  currency: string;
  status: string;
  metadata: Record<string, string>;
}

export interface FakeStripe {
  server: Server;
  intents: Map<string, Intent>;
  requests: { method: string; path: string; idempotencyKey: string | undefined; form: URLSearchParams }[];
  /** The intents refunded, in order (a second refund of one intent is listed again). */
  refunds: string[];
  beforeConfirmAnswer: ((intent: Intent) => Promise<void>) | undefined;
  /** Listens on a free loopback port; the URL for STRIPE_API_URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => resolve(body));
  });

export function fakeStripe(): FakeStripe {
  const intents = new Map<string, Intent>();
  const byKey = new Map<string, Intent>();
  const fake: FakeStripe = {
    server: createServer((req, res) => void answer(req, res)),
    intents,
    requests: [],
    refunds: [],
    beforeConfirmAnswer: undefined,
    async listen() {
      await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    },
    close: () => new Promise<void>((resolve) => fake.server.close(() => resolve())),
  };
  const withCharge = (intent: Intent) => ({
    ...intent,
    latest_charge: {
      id: `ch_${intent.id}`,
      object: "charge",
      refunded: fake.refunds.includes(intent.id),
      amount_refunded: fake.refunds.includes(intent.id) ? intent.amount : 0,
    },
  });

  async function answer(req: IncomingMessage, res: ServerResponse) {
    const form = new URLSearchParams(await readBody(req));
    const [path = "", query = ""] = (req.url ?? "").split("?");
    const idempotencyKey = req.headers["idempotency-key"] as string | undefined;
    fake.requests.push({ method: req.method ?? "", path, idempotencyKey, form });
    const send = (status: number, body: unknown) => {
      if (res.destroyed) return;
      res.writeHead(status, { "content-type": "application/json", "request-id": "req_test" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "POST" && path === "/v1/payment_intents") {
      const known = idempotencyKey ? byKey.get(idempotencyKey) : undefined;
      if (known) return send(200, known);
      const intent: Intent = {
        id: `pi_${intents.size + 1}`,
        object: "payment_intent",
        amount: Number(form.get("amount")),
        currency: form.get("currency") ?? "",
        status: "requires_payment_method",
        metadata: { order_id: form.get("metadata[order_id]") ?? "" },
      };
      intents.set(intent.id, intent);
      if (idempotencyKey) byKey.set(idempotencyKey, intent);
      return send(200, intent);
    }
    const confirm = /^\/v1\/payment_intents\/(pi_\d+)\/confirm$/.exec(path);
    if (req.method === "POST" && confirm) {
      const intent = intents.get(confirm[1]!)!;
      const method = form.get("payment_method");
      if (method === "pm_card_chargeDeclined") {
        return send(402, {
          error: { type: "card_error", code: "card_declined", message: "Your card was declined." },
        });
      }
      intent.status = method === "pm_card_authenticationRequired" ? "requires_action" : "succeeded";
      if (intent.status === "succeeded") await fake.beforeConfirmAnswer?.(intent);
      return send(200, intent);
    }
    const one = /^\/v1\/payment_intents\/(pi_\d+)$/.exec(path);
    if (req.method === "GET" && one) {
      const intent = intents.get(one[1]!);
      if (!intent) return send(404, { error: { type: "invalid_request_error", message: "no such intent" } });
      return send(200, query.includes("latest_charge") ? withCharge(intent) : intent);
    }
    if (req.method === "POST" && path === "/v1/refunds") {
      fake.refunds.push(form.get("payment_intent") ?? "");
      return send(200, { id: `re_${fake.refunds.length}`, object: "refund", status: "succeeded" });
    }
    send(404, { error: { type: "invalid_request_error", message: `no route ${req.method} ${path}` } });
  }
  return fake;
}
