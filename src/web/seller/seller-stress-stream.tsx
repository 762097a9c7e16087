import type { Context } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import { verdictOf } from "../../../views/seller/stress-card";
import { StressReceipt } from "../../../views/seller/stress-run";
import type { LiveStressTest, StressTest } from "../../domain/stress-test";
import { countsShown, type ProgressSnapshot } from "../../domain/stress-test";

export interface StressStreamOptions {
  /** At most one progress event per this many milliseconds, however fast answers come. */
  intervalMs?: number;
  /** A comment line after this long without an event keeps proxies from dropping the stream. */
  heartbeatMs?: number;
}

/** Counts, and the tiles whose claimed count changed since `shown` (updated in place) as [tile, count] pairs. */
function progressEvent(snapshot: ProgressSnapshot, shown: Uint32Array): string {
  const tiles: number[] = [];
  snapshot.claimed.forEach((count, tile) => {
    if (count !== shown[tile]) {
      tiles.push(tile, count);
      shown[tile] = count;
    }
  });
  return JSON.stringify({
    answered: snapshot.answered,
    attempts: snapshot.attempts,
    ...countsShown(snapshot.counts),
    ...snapshot.checkout,
    ...(snapshot.draw ? { draw: snapshot.draw } : {}),
    tiles,
  });
}

async function writeReceipt(stream: SSEStreamingApi, test: StressTest): Promise<void> {
  await stream.writeSSE({
    event: "receipt",
    data: JSON.stringify({
      status: test.status,
      verdict: verdictOf(test),
      html: String(<StressReceipt test={test} />),
    }),
  });
}

/**
 * A Stress Test as Server-Sent Events: "progress" (running counts and newly lit tiles, throttled, the first
 * one carrying every tile lit so far so a reconnect catches up), then one "receipt" with the receipt's HTML,
 * after which the stream ends. A run driven by another process gets a single "elsewhere" (the page then
 * reloads by itself).
 */
export function stressStream(
  c: Context,
  test: StressTest,
  live: LiveStressTest | undefined,
  options: StressStreamOptions = {},
) {
  const intervalMs = options.intervalMs ?? 200;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  c.header("Cache-Control", "no-store");
  c.header("X-Accel-Buffering", "no");
  return streamSSE(c, async (stream) => {
    await stream.write("retry: 3000\n\n");
    if (!live) {
      if (test.status === "running") await stream.writeSSE({ event: "elsewhere", data: test.id });
      else await writeReceipt(stream, test);
      return;
    }
    let finished: StressTest | undefined;
    void live.finished.then((done) => {
      finished = done;
    });
    let shown: Uint32Array | undefined;
    let version = -1;
    let quietSince = Date.now();
    while (!stream.aborted) {
      // Read "finished" before the progress: once the run has ended its progress no longer moves.
      const done = finished;
      if (live.version() !== version) {
        const snapshot = live.progress();
        shown ??= new Uint32Array(snapshot.layout.tiles);
        version = snapshot.version;
        await stream.writeSSE({ event: "progress", data: progressEvent(snapshot, shown) });
        quietSince = Date.now();
      } else if (Date.now() - quietSince >= heartbeatMs) {
        await stream.write(": heartbeat\n\n");
        quietSince = Date.now();
      }
      if (done) {
        await writeReceipt(stream, done);
        break;
      }
      await Promise.race([stream.sleep(intervalMs), live.finished]);
    }
  });
}
