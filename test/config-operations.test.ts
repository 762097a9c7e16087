import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config";

describe("configuration of the server's limits, drain, logs and metrics", () => {
  it("bounds every client wait by default, drains in 25 s and keeps /metrics off", () => {
    const config = loadConfig({});
    expect(config.http).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5000,
      idleTimeoutMs: 60_000,
      maxConnections: 10_000,
      connectionReserve: 200,
      pendingBodiesMaxBytes: 32 * 1024 * 1024,
    });
    expect(config.drain).toEqual({ graceMs: 5000, timeoutMs: 25_000 });
    expect(config.metrics).toEqual({ mode: "off" });
    expect(config).toMatchObject({ logLevel: "info", logLines: "auto" });
  });

  it("reads LOG_PRETTY as readable lines, JSON, or readable only on a terminal", () => {
    expect(loadConfig({ LOG_PRETTY: "true" }).logLines).toBe("readable");
    expect(loadConfig({ LOG_PRETTY: "false" }).logLines).toBe("json");
    expect(loadConfig({ LOG_PRETTY: "auto" }).logLines).toBe("auto");
    expect(() => loadConfig({ LOG_PRETTY: "yes" })).toThrow(/LOG_PRETTY/);
  });

  it("puts /metrics behind a token when one is set, whatever METRICS says", () => {
    const token = "0123456789abcdef-token";
    expect(loadConfig({ METRICS: "public" }).metrics).toEqual({ mode: "public" });
    expect(loadConfig({ METRICS: "public", METRICS_TOKEN: token }).metrics).toEqual({ mode: "token", token });
    expect(() => loadConfig({ METRICS_TOKEN: "short" })).toThrow(/METRICS_TOKEN: must be at least 16/);
  });

  it("keeps a reserve of 2 % beyond the connection cap unless told otherwise", () => {
    expect(loadConfig({ HTTP_MAX_CONNECTIONS: "100" }).http.connectionReserve).toBe(16);
    expect(loadConfig({ HTTP_MAX_CONNECTIONS: "50000" }).http.connectionReserve).toBe(1000);
    expect(loadConfig({ HTTP_CONNECTION_RESERVE: "0" }).http.connectionReserve).toBe(0);
    expect(loadConfig({ HTTP_PENDING_BODIES_MAX_BYTES: "1048576" }).http.pendingBodiesMaxBytes).toBe(
      1_048_576,
    );
    expect(() => loadConfig({ HTTP_PENDING_BODIES_MAX_BYTES: "100" })).toThrow(
      /HTTP_PENDING_BODIES_MAX_BYTES/,
    );
  });

  it("refuses limits that contradict each other", () => {
    expect(() => loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: "20000" })).toThrow(ConfigError);
    expect(() => loadConfig({ HTTP_IDLE_TIMEOUT_MS: "10000" })).toThrow(/heartbeat/);
    expect(
      loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: "65000", HTTP_HEADERS_TIMEOUT_MS: "66000" }).http,
    ).toMatchObject({
      keepAliveTimeoutMs: 65_000,
      headersTimeoutMs: 66_000,
    });
  });
});
