// Starts thread.ts in the worker under Node: loads tsx's loader first, as src/stampede/load-worker-boot.mjs.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
