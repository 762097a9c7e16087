import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { compress } from "hono/compress";

const require = createRequire(import.meta.url);

/**
 * Our own files under /static, plus htmx and its SSE extension taken from their npm packages and served
 * from this origin: pages never make a third-party request. Files are read once and kept in memory.
 */
/** One of our own files under static/. */
const ownFile = (name: string, type: string) => ({
  path: fileURLToPath(new URL(`../../static/${name}`, import.meta.url)),
  type,
});

const FILES = new Map<string, { path: string; type: string }>([
  ["app.css", ownFile("app.css", "text/css")],
  ["fan.css", ownFile("fan.css", "text/css")],
  ["drop.js", ownFile("drop.js", "text/javascript")],
  ["dashboard.js", ownFile("dashboard.js", "text/javascript")],
  ["hold.js", ownFile("hold.js", "text/javascript")],
  ["stress.js", ownFile("stress.js", "text/javascript")],
  ["htmx.min.js", { path: require.resolve("htmx.org/dist/htmx.min.js"), type: "text/javascript" }],
  ["sse.min.js", { path: require.resolve("htmx-ext-sse/dist/sse.min.js"), type: "text/javascript" }],
]);

export function staticRoutes() {
  const cache = new Map<string, Uint8Array>();
  const routes = new Hono();
  routes.use("*", compress());
  routes.get("/:name", async (c) => {
    const name = c.req.param("name");
    // A Map, not an object lookup: "constructor" or "__proto__" is no file (a 404, not a 500).
    const file = FILES.get(name);
    if (!file) return c.notFound();
    let body = cache.get(name);
    if (!body) {
      body = new Uint8Array(await readFile(file.path));
      cache.set(name, body);
    }
    c.header("Content-Type", `${file.type}; charset=utf-8`);
    c.header("Cache-Control", "public, max-age=300");
    return c.body(body as Uint8Array<ArrayBuffer>);
  });
  return routes;
}
