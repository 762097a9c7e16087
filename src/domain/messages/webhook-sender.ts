/**
 * One webhook request, signed per the Standard Webhooks specification (the `standardwebhooks` package):
 * headers webhook-id (the event's id, the same on every retry), webhook-timestamp and webhook-signature
 * (one `v1,<base64>` per valid secret, space-separated, so a receiver holding either secret after a
 * rotation verifies), body `{type, timestamp, data}`. The request goes to the address checked by
 * safe-address.ts, with the URL's host in the Host header and as the TLS server name; redirects are not
 * followed (a 3xx is a failed attempt); the whole request has a time limit.
 */
import http from "node:http";
import https from "node:https";
import { Webhook } from "standardwebhooks";
import { checkedAddress, type Resolver, systemResolver } from "./safe-address";

export interface WebhookMessage {
  id: string;
  body: string;
}

export interface SendOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  resolve?: Resolver;
}

/** Signature header for `message` with each secret (`whsec_...`), at `timestamp`. */
export function signatureHeader(message: WebhookMessage, secrets: string[], timestamp: Date): string {
  return secrets.map((secret) => new Webhook(secret).sign(message.id, timestamp, message.body)).join(" ");
}

/**
 * Posts `message` to `url`. Resolves with the receiver's status (any status, 2xx or not); rejects when no
 * answer came (refused address, connection error, time-out).
 */
export async function postWebhook(
  url: string,
  message: WebhookMessage,
  secrets: string[],
  options: SendOptions,
): Promise<number> {
  const target = new URL(url);
  const address = await checkedAddress(target, options.allowPrivate, options.resolve ?? systemResolver);
  const timestamp = new Date();
  const headers = {
    "content-type": "application/json",
    "user-agent": "Dropfront-Webhooks/1",
    "webhook-id": message.id,
    "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "webhook-signature": signatureHeader(message, secrets, timestamp),
    host: target.host,
  };
  const client = target.protocol === "https:" ? https : http;
  return new Promise<number>((resolve, reject) => {
    const request = client.request(
      {
        method: "POST",
        host: address,
        port: target.port || (target.protocol === "https:" ? 443 : 80),
        path: `${target.pathname}${target.search}`,
        headers: { ...headers, "content-length": Buffer.byteLength(message.body) },
        servername: target.hostname,
        timeout: options.timeoutMs,
        agent: false,
      },
      (response) => {
        // Only the status matters; the body is drained so the socket closes.
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
        response.on("error", reject);
      },
    );
    const timer = setTimeout(
      () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    request.on("close", () => clearTimeout(timer));
    request.on("timeout", () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on("error", reject);
    request.end(message.body);
  });
}
