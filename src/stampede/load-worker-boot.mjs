// Starts the Stress Test's load generator (load-worker.ts) in a worker thread: the thread loads the
// TypeScript sources through tsx, like the main process does under `npm start`. `register()` from
// tsx/esm/api installs tsx's loader with Node's module.register() (tsx's ESM API documentation).
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
