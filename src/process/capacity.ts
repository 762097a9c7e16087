import type { HttpServerLimits } from "../config";
import { defaultConnectionReserve } from "../config";

/**
 * What one open connection may cost Node's heap, with room to spare: a live-counter stream measured
 * 10.9 KiB (RELIABILITY.md, "node-floods"; test/node-capacity.test.ts holds it under this).
 */
export const CONNECTION_HEAP_BYTES = 16 * 1024;
/** The app with its caches, pools and modules loaded and nothing open: measured 29 MB, with headroom for work. */
export const BASE_HEAP_MIB = 64;

/**
 * The heap (`--max-old-space-size`, MiB) Node needs so that the connection cap, its reserve and the
 * pending-body budget are all reached before the heap is: the cap stops growth first, never the heap.
 * @example heapNeededMiB(loadConfig().http) // 255 with the defaults; package.json's start:node gives 320
 */
export function heapNeededMiB(limits: HttpServerLimits): number {
  const connections =
    limits.maxConnections + (limits.connectionReserve ?? defaultConnectionReserve(limits.maxConnections));
  const bodies = limits.pendingBodiesMaxBytes ?? 0;
  return Math.ceil(BASE_HEAP_MIB + (connections * CONNECTION_HEAP_BYTES + bodies) / (1024 * 1024));
}
