import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request a webhook receiver got: the raw body and the Standard Webhooks headers. */
export interface ReceivedWebhook {
  body: string;
  headers: Record<string, string>;
  status: number;
}

/**
 * A real HTTP receiver on loopback (port 0): records every request and answers `answer(request)` (200 when
 * absent). `restart()` closes it (dropping open connections) and listens again on the same port.
 */
export async function startReceiver(
  answer: (body: string, index: number) => number = () => 200,
  options: { location?: string } = {},
) {
  const received: ReceivedWebhook[] = [];
  let count = 0;
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const status = receiver.answer(body, count++);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers))
        if (typeof value === "string") headers[name] = value;
      received.push({ body, headers, status });
      res
        .writeHead(status, {
          "content-type": "text/plain",
          ...(options.location ? { location: options.location } : {}),
        })
        .end("ok");
    });
  };
  let server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  const receiver = {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    answer,
    close,
    async restart(downMs = 0) {
      await close();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      server = http.createServer(handler);
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    },
    /** Parsed bodies of the requests answered 2xx. */
    accepted: () =>
      received
        .filter((r) => r.status >= 200 && r.status < 300)
        .map((r) => JSON.parse(r.body) as { type: string; timestamp: string; data: Record<string, unknown> }),
  };
  return receiver;
}

/** Polls `check` until it holds (or throws after `timeoutMs`): for outcomes a background loop produces. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
