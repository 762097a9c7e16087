import type { Server } from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { createLogger } from "../src/observability/logger";
import { startHttpServer } from "../src/process/http-server";
import { openTestDatabase } from "./support/databases";
import { buy, createDrop, json } from "./support/shop-fixtures";
import { TestBrowser } from "./web-seller-browser";

/** Opening a database (PGlite's WebAssembly start) can take half a minute on a busy CI machine. */
const SLOW_START_MS = 120_000;

/**
 * What the logs say about a whole app run: structured lines with a request id, one debug line per
 * purchase, nothing secret (findings 3 and 9 of the outside review), no stack for a client that hung up.
 */

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  [field: string]: unknown;
}

function capturedLogger(level: "debug" | "info") {
  const lines: string[] = [];
  const log = createLogger({ level, destination: { write: (line: string) => void lines.push(line) } });
  const parsed = () => lines.map((line) => JSON.parse(line) as LogLine);
  return { log, lines, parsed };
}

/**
 * A database whose seller insert fails inside the engine, the way a NUL byte in a field made it fail: the
 * driver's error then carries the statement's parameters (the password hash and the API-key hash).
 */
function failingSellerInsert(db: Database, sent: unknown[][]): Database {
  return {
    ...db,
    query(text, params = [], options) {
      if (!/INSERT INTO sellers/i.test(text)) return db.query(text, params, options);
      sent.push([...params]);
      const poisoned = params.map((p, i) =>
        i === params.length - 1 && typeof p === "string" ? `${p}\u0000` : p,
      );
      return db.query(text, poisoned, options);
    },
  };
}

let db: Database;
beforeAll(async () => {
  db = await openTestDatabase("pglite");
}, SLOW_START_MS);
afterAll(() => db.close());

describe("logs of a full run (sign-up, sign-in, API key, purchases) hold no secret", () => {
  it("greps every line for the secrets it saw, and finds a request id and a purchase line", async () => {
    const { log, lines, parsed } = capturedLogger("debug");
    const app = createApp({ db, log });
    const password = "log-test password 42";
    const browser = new TestBrowser(app);
    expect((await browser.signUp({ name: "Logs", email: "logs@example.com", password })).status).toBe(303);
    expect((await new TestBrowser(app).signIn("logs@example.com", password)).status).toBe(303);
    const csrf = await browser.csrfFrom("/seller/account");
    const sessionCookies = [...browser.cookies.values()];

    const signup = await app.request(
      "/api/sellers",
      json({ email: "api-logs@example.com", password, name: "Api" }),
    );
    const { apiKey } = (await signup.json()) as { apiKey: string };
    const drop = await createDrop(app, apiKey, { quantity: 2 });
    const outcomes = [];
    for (const fan of ["a@example.com", "b@example.com", "c@example.com"]) {
      outcomes.push((await buy(app, drop.slug, fan)).status);
    }
    expect(outcomes).toEqual([201, 201, 409]);
    const auditRes = await app.request(`/api/drops/${drop.id}/audit`, {
      headers: { authorization: `Bearer ${apiKey}`, "x-request-id": "trace-me-123" },
    });
    expect(auditRes.headers.get("x-request-id")).toBe("trace-me-123");
    const forged = await app.request("/healthz", { headers: { "x-request-id": 'x"}{"level":60' } });
    expect(forged.headers.get("x-request-id")).toMatch(/^[\w-]{8}-[0-9a-z]+$/);

    const { rows } = await db.query<{ password_hash: string; api_key_hash: string }>(
      "SELECT password_hash, api_key_hash FROM sellers",
    );
    const secrets = [
      password,
      apiKey,
      csrf,
      ...sessionCookies,
      ...rows.flatMap((row) => [row.password_hash, row.api_key_hash]),
    ];
    const text = lines.join("");
    for (const secret of secrets) expect(text).not.toContain(secret);

    const logged = parsed();
    expect(logged.every((line) => typeof line.reqId === "string")).toBe(true);
    expect(
      logged.some((line) => line.reqId === "trace-me-123" && line.path?.toString().endsWith("/audit")),
    ).toBe(true);
    const purchases = logged.filter((line) => line.msg === "purchase");
    expect(purchases.map((line) => line.outcome)).toEqual(["placed", "placed", "sold_out"]);
    expect(purchases[0]).toMatchObject({ drop: drop.slug, attempts: 1, level: 20 });
    expect(typeof purchases[0]?.ms).toBe("number");
  });

  it("a sign-up the database rejects logs the error's code and message, never the statement's values", async () => {
    const { log, lines, parsed } = capturedLogger("info");
    const sent: unknown[][] = [];
    const app = createApp({ db: failingSellerInsert(db, sent), log });
    const consoleError = vi.spyOn(console, "error");
    const response = await app.request(
      "/api/sellers",
      json({ email: "broken@example.com", password: "another long password", name: "Broken" }),
    );
    expect(response.status).toBe(500);
    const errors = parsed().filter((line) => line.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.err).toMatchObject({ code: "22021", message: expect.stringContaining("0x00") });
    const text = lines.join("");
    const values = sent
      .flat()
      .filter((value): value is string => typeof value === "string" && value.length > 3);
    expect(values.length).toBeGreaterThan(2);
    for (const value of values) expect(text).not.toContain(value);
    expect(text).not.toContain("broken@example.com");
    // Before: the whole error object went to console.error, its `params` and `detail` included.
    expect(consoleError).not.toHaveBeenCalled();
    consoleError.mockRestore();
  });
});

describe("clients that hang up mid-body are not server errors (finding 9)", () => {
  let server: Server;
  let port: number;
  const { log, parsed } = capturedLogger("debug");

  beforeAll(async () => {
    const app = createApp({ db, log });
    const limits = {
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5000,
      idleTimeoutMs: 60_000,
      maxConnections: 1000,
    };
    ({
      server,
      address: { port },
    } = await startHttpServer(app.fetch, { host: "127.0.0.1", port: 0, limits }));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function abortMidBody(head: string, part: string): Promise<void> {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(head + part);
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
  }

  it("20 aborted uploads, declared and chunked, give no warning or error line and nothing on the console", async () => {
    const consoleError = vi.spyOn(console, "error");
    const consoleInfo = vi.spyOn(console, "info");
    const declared = (path: string) =>
      `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n`;
    const chunked = (path: string) =>
      `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    await Promise.all(
      Array.from({ length: 5 }, () => [
        abortMidBody(declared("/api/drops/some-drop/purchase"), '{"fan":"slow'),
        abortMidBody(declared("/api/sellers"), '{"email":"slow'),
        abortMidBody(chunked("/api/drops/some-drop/purchase"), '5\r\n{"fan\r\n'),
        abortMidBody(chunked("/api/sellers"), '5\r\n{"ema\r\n'),
      ]).flat(),
    );
    await vi.waitFor(
      () =>
        new Promise<void>((resolve, reject) =>
          server.getConnections((_, count) => (count === 0 ? resolve() : reject(new Error(`${count} open`)))),
        ),
      { timeout: 10_000, interval: 50 },
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const loud = parsed().filter((line) => line.level >= 40);
    expect(loud).toEqual([]);
    expect(parsed().filter((line) => /closed the connection/.test(line.msg)).length).toBeLessThanOrEqual(20);
    expect(consoleError).not.toHaveBeenCalled();
    expect(consoleInfo).not.toHaveBeenCalled();
    consoleError.mockRestore();
    consoleInfo.mockRestore();
  });
});
