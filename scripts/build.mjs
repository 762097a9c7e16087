// Compiles the server to plain JavaScript for production (the container runs it with no TypeScript loader).
// One esbuild bundle of our own code (views and JSX included); packages stay external and come from
// node_modules (`npm ci --omit=dev`). Dynamic imports stay separate chunks, so a backend's module still
// loads only when chosen. The output sits in dist/app/, two folders below the root like src/db/ and
// src/web/, so the paths our modules resolve relative to themselves (../../sql/, ../../static/) land on
// the same sql/ and static/ folders from the bundle as from the sources. The Stress Test's load generator
// is a second entry, dist/app/load-worker.js: it runs in a worker thread started from a file, which a
// bundle cannot inline (src/stampede/load-worker-script.ts finds it). The bundle runs on Bun (the image's
// command) and on Node alike.
import { rm } from "node:fs/promises";
import { build } from "esbuild";

await rm("dist", { recursive: true, force: true });
await build({
  entryPoints: ["src/server.ts", "src/stampede/load-worker.ts", "src/db/pglite-initdb.ts"],
  outdir: "dist/app",
  // Every file flat in dist/app/, so the worker sits beside the chunk that starts it.
  entryNames: "[name]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  jsx: "automatic",
  jsxImportSource: "hono/jsx",
  sourcemap: true,
  logLevel: "warning",
});
console.log("built dist/app/server.js");
