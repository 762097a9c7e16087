// Starts the Stress Test's load generator (load-worker.ts) in a worker thread: the thread loads the
// TypeScript sources through tsx, like the main process does under `npm start`.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
