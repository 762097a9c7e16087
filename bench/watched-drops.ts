import http from "node:http";
import { parseArgs } from "node:util";
import { createSellerAccount } from "../src/stampede";
import { hammerHealthz, type Rate } from "./http";
import { type ServerRuntime, startServerProcess } from "./server-process";

/**
 * Live counters on many drops (issue 15 §2): /healthz latency with `--drops` upcoming drops each watched by
 * one live-counter stream, against the same server idle. 5,000 watched drops once pushed /healthz p50 from
 * 2 ms to 1.4 s, when each drop polled its stock on its own; the goal is p99 within 5× idle at 1,000.
 * The server is `npm start`'s (or `--runtime node|bun`) on in-memory PGlite, the default database.
 *   node --import tsx bench/watched-drops.ts [--drops 1000] [--requests 3000] [--runtime node]
 */
const { values } = parseArgs({
  options: {
    drops: { type: "string", default: "1000" },
    requests: { type: "string", default: "3000" },
    concurrency: { type: "string", default: "4" },
    runtime: { type: "string" },
  },
});
const drops = Number(values.drops);
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const runtime = values.runtime as ServerRuntime | undefined;
const log = (line: string) => console.error(`watched-drops: ${line}`);

/** Opens one live-counter stream and resolves once its first event arrived (the drop is being watched). */
function openStream(url: string): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, headers: { accept: "text/event-stream" } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${url} answered ${res.statusCode}`));
      res.once("data", () => resolve(request));
      res.on("error", () => undefined);
    });
    request.on("error", reject);
  });
}

async function createUpcomingDrops(base: string, apiKey: string, count: number): Promise<string[]> {
  const startsAt = new Date(Date.now() + 24 * 3600_000).toISOString();
  const slugs: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        const n = next++;
        const res = await fetch(`${base}/api/drops`, {
          method: "POST",
          headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({ title: `Watched ${n}`, priceCents: 1000, quantity: 50, startsAt }),
        });
        if (res.status !== 201) throw new Error(`drop ${n}: ${res.status} ${await res.text()}`);
        slugs.push(((await res.json()) as { drop: { slug: string } }).drop.slug);
      }
    }),
  );
  return slugs;
}

const ms = (value: number | null) => (value === null ? "n/a" : `${value.toFixed(2)} ms`);
const line = (name: string, rate: Rate) =>
  `${name}: ${rate.requests} GET /healthz by ${concurrency} workers, ${rate.perSecond.toFixed(0)}/s, p50 ${ms(rate.p50)}, p99 ${ms(rate.p99)}`;

const server = await startServerProcess({ DATA_DIR: "memory" }, runtime);
const streams: http.ClientRequest[] = [];
try {
  log(`server at ${server.url}; creating ${drops} upcoming drops`);
  const apiKey = await createSellerAccount(server.url);
  const slugs = await createUpcomingDrops(server.url, apiKey, drops);
  // Warm up, then idle: no stream open.
  await hammerHealthz(server.url, 500, concurrency);
  const idle = await hammerHealthz(server.url, requests, concurrency);
  log(line("idle", idle));
  log(`opening ${slugs.length} live-counter streams, one per drop`);
  for (let i = 0; i < slugs.length; i += 50) {
    streams.push(
      ...(await Promise.all(
        slugs.slice(i, i + 50).map((slug) => openStream(`${server.url}/d/${slug}/stream`)),
      )),
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const watched = await hammerHealthz(server.url, requests, concurrency);
  log(line(`${streams.length} drops watched`, watched));
  const ratio = (watched.p99 ?? 0) / (idle.p99 ?? 1);
  const { peakMiB } = await server.memory();
  console.log(
    JSON.stringify({
      drops: streams.length,
      runtime: runtime ?? "default",
      idle,
      watched,
      p99Ratio: ratio,
      peakMiB,
    }),
  );
  log(
    `p99 ${ratio.toFixed(2)}× idle (goal ≤ 5×): ${ratio <= 5 ? "met" : "MISSED"}; server peak ${peakMiB} MiB`,
  );
} finally {
  for (const stream of streams) stream.destroy();
  await server.stop();
}
