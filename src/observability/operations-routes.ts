import { timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import type { Config } from "../config";
import type { Database } from "../db/database";
import { readMigrations } from "../db/migrate";
import { NotFound, Unauthorized } from "../domain/errors";
import type { Lifecycle } from "../process/lifecycle";
import * as repo from "../repository";
import type { Metrics } from "./metrics";

/** How long /readyz waits for the database before calling it unreachable. */
const READY_PROBE_MS = 2000;

export interface OperationsDeps {
  db: Database;
  lifecycle: Lifecycle;
  metrics: Metrics;
  metricsAccess: Config["metrics"];
}

/**
 * What an orchestrator and Prometheus ask: `/healthz` (the process answers), `/readyz` (database reachable
 * with a cheap query, every migration applied, not draining) and `/metrics` (off unless configured; public,
 * or only with `Authorization: Bearer <METRICS_TOKEN>`).
 * @example app.route("/", operationsRoutes({ db, lifecycle, metrics, metricsAccess: { mode: "public" } }))
 */
export function operationsRoutes(deps: OperationsDeps) {
  const { db, lifecycle, metrics, metricsAccess } = deps;
  const routes = new Hono();
  let expected: Promise<string[]> | undefined;

  async function notReadyBecause(): Promise<string | undefined> {
    if (lifecycle.draining) return "draining";
    expected ??= readMigrations().then((files) => files.map((file) => file.name));
    try {
      const [applied, known] = await withTimeout(
        Promise.all([repo.appliedMigrationNames(db), expected]),
        READY_PROBE_MS,
      );
      const done = new Set(applied);
      const pending = known.filter((name) => !done.has(name));
      return pending.length > 0 ? `migrations pending: ${pending.join(", ")}` : undefined;
    } catch {
      return "database unreachable";
    }
  }

  routes.get("/healthz", (c) => c.text("ok"));

  routes.get("/readyz", async (c) => {
    const reason = await notReadyBecause();
    c.header("Cache-Control", "no-store");
    return reason === undefined ? c.json({ ready: true }) : c.json({ ready: false, reason }, 503);
  });

  routes.get("/metrics", async (c) => {
    if (metricsAccess.mode === "off") throw new NotFound("page or endpoint");
    if (
      metricsAccess.mode === "token" &&
      !bearerMatches(c.req.header("authorization"), metricsAccess.token)
    ) {
      throw new Unauthorized("A metrics token is required (Authorization: Bearer <METRICS_TOKEN>).");
    }
    c.header("Content-Type", metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });

  return routes;
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1] ?? "");
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
