import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpServerLimits, loadConfig } from "../src/config";
import { CONNECTION_HEAP_BYTES, heapNeededMiB } from "../src/process/capacity";
import { type RunningHttpServer, startHttpServer } from "../src/process/http-server";
import { connectTo, send, untilClosed } from "./support/raw-http";

/**
 * Issue 15 §1: Node (`npm run start:node`) fell over with ~3,000 live-counter viewers (~36 KiB of heap a
 * stream against a 160 MB heap and a 10,000-connection cap), under 5,000 trickled request bodies, and reset
 * a fifth of health checks and purchases at its connection cap. Real servers on real sockets: the app in a
 * child process started with package.json's own start:node flags (test/support/stream-server.ts), and
 * startHttpServer in this process for the cap. The full-size run (10,000 streams) is `bench/node-capacity.ts`.
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const START_NODE = (
  JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts["start:node"] as string
)
  .split(/\s+/)
  // "exec node …": npm's shell hands its signals to the runtime (docs/operating.md); the flags follow "node".
  .slice(2);
const heapFlagMiB = Number(/--max-old-space-size=(\d+)/.exec(START_NODE.join(" "))?.[1]);

interface AppProcess {
  port: number;
  slug: string;
  heapUsed(): Promise<number>;
  stop(): void;
}

/** The app in a child process with start:node's flags (and --expose-gc, to read what stays on the heap). */
async function startApp(env: Record<string, string>): Promise<AppProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "capacity-"));
  const args = START_NODE.map((arg) => (arg === "src/server.ts" ? "test/support/stream-server.ts" : arg));
  const child: ChildProcess = spawn(process.execPath, ["--expose-gc", ...args], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "error", ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextLine = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error("the app process ended");
    return value as string;
  };
  const [, port, slug] = (await nextLine()).split(" ");
  return {
    port: Number(port),
    slug: slug!,
    async heapUsed() {
      child.stdin!.write("heap\n");
      return Number((await nextLine()).split(" ")[1]);
    },
    stop() {
      child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An open live-counter stream: resolves once the first bytes (the retry hint) have arrived. */
function openStream(port: number, slug: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () =>
      socket.write(`GET /d/${slug}/stream HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n`),
    );
    socket.once("data", (chunk: Buffer) =>
      chunk.toString().startsWith("HTTP/1.1 200") ? resolve(socket) : reject(new Error(chunk.toString())),
    );
    socket.once("error", reject);
  });
}

async function openStreams(port: number, slug: string, count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  while (sockets.length < count) {
    const batch = Math.min(100, count - sockets.length);
    sockets.push(...(await Promise.all(Array.from({ length: batch }, () => openStream(port, slug)))));
  }
  return sockets;
}

describe("the app on Node, started with start:node's flags", { timeout: 120_000 }, () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startApp({
      HTTP_MAX_CONNECTIONS: "5000",
      // 1 MiB for pending bodies: room for about 30 bodies of 16,000 bytes (each charged 16 KiB more).
      HTTP_PENDING_BODIES_MAX_BYTES: String(1024 * 1024),
      // One client sends every purchase here: the per-client purchase limit would answer them 429.
      PURCHASE_RATE_LIMIT: "0",
      // Far beyond the test's own timeout: trickles are cut by the budget, not by Node's request timeout.
      HTTP_REQUEST_TIMEOUT_MS: "300000",
    });
  }, 150_000);
  afterAll(() => app?.stop());

  it("holds a live-counter stream in under CONNECTION_HEAP_BYTES of heap", async () => {
    await Promise.all((await openStreams(app.port, app.slug, 50)).map((socket) => socket.destroy()));
    const before = await app.heapUsed();
    const streams = 1000;
    const sockets = await openStreams(app.port, app.slug, streams);
    const after = await app.heapUsed();
    const perStream = (after - before) / streams;
    for (const socket of sockets) socket.destroy();
    expect(perStream).toBeLessThan(CONNECTION_HEAP_BYTES);
    // Streams whose pages vanished leave nothing behind (subscription, heartbeat timer, socket): awaited.
    let left = after - before;
    for (let tries = 0; left > (after - before) / 10 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = (await app.heapUsed()) - before;
    }
    expect(left).toBeLessThan((after - before) / 10);
  });

  it("has a heap sized for the default cap, its reserve and the pending-body budget", () => {
    expect(heapFlagMiB).toBeGreaterThanOrEqual(heapNeededMiB(loadConfig({}).http));
    // With the old 160 MB flag the default cap did not fit (10,200 streams at the budget alone are 160 MiB).
    expect(heapNeededMiB(loadConfig({}).http)).toBeGreaterThan(160);
  });

  it("cuts trickled bodies slowest first beyond the budget, and answers /healthz, a purchase and a steady upload", async () => {
    const head = (length: number) =>
      `POST /api/drops/${app.slug}/purchase HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
    const trickles = await Promise.all(Array.from({ length: 200 }, () => connectTo(app.port)));
    // All but about thirty are cut, each with a 408 that says why; awaited, never timed.
    let cut = 0;
    const mostCut = new Promise<void>((resolve) => {
      for (const socket of trickles) {
        void untilClosed(socket).then((answer) => {
          if (/^HTTP\/1\.1 408[\s\S]*too slowly/.test(answer) && ++cut === 160) resolve();
        });
      }
    });
    for (const socket of trickles) socket.write(`${head(16_000)}{`);
    const ticker = setInterval(() => {
      for (const socket of trickles) if (socket.writable) socket.write(" ");
    }, 500);
    try {
      // A purchase body of 16,000 bytes sent steadily, 2,000 bytes every 100 ms: slow, but far from the slowest.
      const steadyBody = `{"fan":"steady@example.com"}`.padEnd(16_000, " ");
      const steady = await connectTo(app.port);
      const steadyAnswer = untilClosed(steady);
      steady.write(head(steadyBody.length));
      for (let at = 0; at < steadyBody.length; at += 2000) {
        steady.write(steadyBody.slice(at, at + 2000));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      steady.end();

      const base = `http://127.0.0.1:${app.port}`;
      expect((await send(`${base}/healthz`, {})).status).toBe(200);
      const purchase = await send(`${base}/api/drops/${app.slug}/purchase`, {
        method: "POST",
        body: JSON.stringify({ fan: "fan@example.com" }),
      });
      expect(purchase.status).toBe(201);
      expect(await steadyAnswer).toMatch(/^HTTP\/1\.1 201/);
      await mostCut;
      expect(cut).toBeGreaterThanOrEqual(160);
    } finally {
      clearInterval(ticker);
      for (const socket of trickles) socket.destroy();
    }
  });
});

describe("the connection cap's reserve", { timeout: 60_000 }, () => {
  const limits: HttpServerLimits = {
    headersTimeoutMs: 20_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 500,
    idleTimeoutMs: 30_000,
    maxConnections: 20,
    connectionReserve: 5,
  };
  let running: RunningHttpServer;
  beforeAll(async () => {
    running = await startHttpServer(async () => new Response("served"), {
      host: "127.0.0.1",
      port: 0,
      limits,
    });
  });
  afterAll(async () => {
    running.server.closeAllConnections();
    await new Promise((resolve) => running.server.close(resolve));
  });

  it("still answers health checks and purchases at the cap, and answers anything else 503 at once", async () => {
    const held = await Promise.all(
      Array.from({ length: limits.maxConnections }, () => connectTo(running.address.port)),
    );
    // The server counts a connection once it has accepted it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    try {
      const base = `http://127.0.0.1:${running.address.port}`;
      expect(await send(`${base}/healthz`, {})).toEqual({ status: 200, body: "served" });
      expect(await send(`${base}/readyz`, {})).toEqual({ status: 200, body: "served" });
      const purchase = await send(`${base}/api/drops/d1/purchase`, { method: "POST", body: "{}" });
      expect(purchase).toEqual({ status: 200, body: "served" });
      expect((await send(`${base}/d/hoodie/buy`, { method: "POST", body: "{}" })).status).toBe(200);
      const other = await send(`${base}/d/hoodie/stream`, {});
      expect(other.status).toBe(503);
      expect(JSON.parse(other.body)).toMatchObject({ error: "busy" });
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
});
