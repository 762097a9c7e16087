import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

// The full-size run behind test/node-capacity.test.ts: the app on Node with package.json's start:node flags
// (test/support/stream-server.ts), HTTP_MAX_CONNECTIONS live-counter streams of one drop opened on real
// sockets, the heap read after a full collection, and then, with the cap full, /healthz and a purchase
// timed through the reserve and one more stream refused 503. Loopback only; bounded by --streams.
// `--runtime bun` runs the same app under Bun (`npm start`), whose cap counts requests in flight.
//   node --import tsx bench/node-capacity.ts --streams 10000 [--runtime bun]
const { values } = parseArgs({
  options: {
    streams: { type: "string", default: "10000" },
    batch: { type: "string", default: "250" },
    runtime: { type: "string", default: "node" },
  },
});
const onBun = values.runtime === "bun";
const STREAMS = Number(values.streams);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const startNode = (
  JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts["start:node"] as string
)
  .split(/\s+/)
  .slice(2) // "exec node …"
  .map((arg) => (arg === "src/server.ts" ? "test/support/stream-server.ts" : arg));

const dataDir = mkdtempSync(join(tmpdir(), "node-capacity-"));
const BUN = fileURLToPath(new URL("../node_modules/.bin/bun", import.meta.url));
const [command, args] = onBun
  ? [BUN, ["test/support/stream-server.ts"]]
  : [process.execPath, ["--expose-gc", ...startNode]];
const child: ChildProcess = spawn(command, args, {
  cwd: ROOT,
  env: {
    ...process.env,
    DATA_DIR: dataDir,
    LOG_LEVEL: "error",
    HTTP_MAX_CONNECTIONS: String(STREAMS),
    PURCHASE_RATE_LIMIT: "0",
  },
  stdio: ["pipe", "pipe", "inherit"],
});
const exited = new Promise<string>((resolve) =>
  child.once("exit", (code, signal) => resolve(`${signal ?? code}`)),
);
const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
const nextLine = async () => String((await lines.next()).value);
const [, port, slug] = (await nextLine()).split(" ");
const heapMiB = async () => {
  child.stdin!.write("heap\n");
  return Number((await nextLine()).split(" ")[1]) / (1024 * 1024);
};
const openStream = () =>
  new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1", () =>
      socket.write(`GET /d/${slug}/stream HTTP/1.1\r\nHost: localhost\r\n\r\n`),
    );
    socket.once("data", () => resolve(socket));
    socket.once("error", reject);
  });
/** Five requests one after the other, each on a new connection: their statuses and times. */
const timed = async (path: string, init: (i: number) => RequestInit = () => ({})) => {
  const answers: string[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { ...init(i), keepalive: false });
    await res.text();
    answers.push(`${res.status} in ${Math.round(performance.now() - started)} ms`);
  }
  return answers.join(", ");
};

try {
  const idle = await heapMiB();
  const sockets: net.Socket[] = [];
  while (sockets.length < STREAMS) {
    const batch = Math.min(Number(values.batch), STREAMS - sockets.length);
    sockets.push(...(await Promise.all(Array.from({ length: batch }, openStream))));
  }
  const full = await heapMiB();
  const perStreamKiB = ((full - idle) * 1024) / STREAMS;
  console.log(`idle heap ${idle.toFixed(1)} MiB; ${STREAMS} streams: ${full.toFixed(1)} MiB`);
  console.log(`per stream ${perStreamKiB.toFixed(1)} KiB; ${onBun ? "Bun" : `Node, ${startNode[0]}`}`);
  console.log(`at the cap: /healthz ${await timed("/healthz")}`);
  const purchase = { method: "POST", headers: { "content-type": "application/json" } };
  const fan = (i: number) => ({ ...purchase, body: JSON.stringify({ fan: `cap${i}@example.com` }) });
  console.log(`at the cap: purchase ${await timed(`/api/drops/${slug}/purchase`, fan)}`);
  console.log(`at the cap: one more stream ${await timed(`/d/${slug}/stream`)}`);
  for (const socket of sockets) socket.destroy();
  console.log(`server still running: ${child.exitCode === null ? "yes" : `no (${await exited})`}`);
} finally {
  child.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
}
