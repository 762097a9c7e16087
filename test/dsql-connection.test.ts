import net from "node:net";
import { DsqlSigner } from "@aws-sdk/dsql-signer";
import type pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ConfigError, loadConfig } from "../src/config";
import { isOutcomeUnknown } from "../src/db/database";
import { type DsqlOptions, dsqlPoolOptions, openDsql } from "../src/db/dsql";
import { poolDatabase } from "../src/db/postgres";
import { ADMIN_URL, postgresAvailable } from "./support/databases";

// The signer reads credentials through the default AWS chain, which looks at the environment first.
// Fake keys make it sign locally; nothing here talks to AWS.
const FAKE_ENV = {
  AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  AWS_REGION: "us-east-1",
} as const;
const CLEARED_ENV = ["AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CREDENTIAL_EXPIRATION"] as const;
const saved = new Map<string, string | undefined>();

beforeAll(() => {
  for (const name of [...Object.keys(FAKE_ENV), ...CLEARED_ENV]) saved.set(name, process.env[name]);
  Object.assign(process.env, FAKE_ENV);
  for (const name of CLEARED_ENV) delete process.env[name];
});

afterAll(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const ENDPOINT = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws";
const options = (overrides: Partial<DsqlOptions> = {}): DsqlOptions => ({
  endpoint: ENDPOINT,
  region: "us-east-1",
  user: "admin",
  poolSize: 4,
  acquireTimeoutMs: 2_000,
  ...overrides,
});

type PasswordFn = () => Promise<string>;

function passwordOf(config: ReturnType<typeof dsqlPoolOptions>): PasswordFn {
  const { password } = config;
  if (typeof password !== "function") throw new Error(`password is ${typeof password}, not a function`);
  return async () => String(await password());
}

/** Splits a presigned token `<host>/?k=v&...` into its host and decoded query parameters. */
function parseToken(token: string) {
  const url = new URL(`https://${token}`);
  return { host: url.host, path: url.pathname, params: url.searchParams };
}

describe("dsqlPoolOptions", () => {
  it("connects to the cluster's postgres database over verified TLS", () => {
    const config = dsqlPoolOptions(options({ user: "app_writer", poolSize: 7, acquireTimeoutMs: 1234 }));
    expect(config).toMatchObject({
      host: ENDPOINT,
      port: 5432,
      user: "app_writer",
      database: "postgres",
      max: 7,
      acquireTimeoutMs: 1234,
    });
    expect(config.ssl).toEqual({ rejectUnauthorized: true });
  });

  it("recycles connections before DSQL's 60-minute connection limit", () => {
    const { maxLifetimeSeconds } = dsqlPoolOptions(options());
    expect(maxLifetimeSeconds).toBeGreaterThan(0);
    expect(maxLifetimeSeconds).toBeLessThan(3600);
  });

  it("signs an admin token (DbConnectAdmin) for the admin role", async () => {
    const token = await passwordOf(dsqlPoolOptions(options()))();
    const { host, path, params } = parseToken(token);
    expect(token.startsWith(`${ENDPOINT}/?`)).toBe(true);
    expect(host).toBe(ENDPOINT);
    expect(path).toBe("/");
    expect(params.get("Action")).toBe("DbConnectAdmin");
    expect(params.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(params.get("X-Amz-Credential")).toMatch(
      new RegExp(`^${FAKE_ENV.AWS_ACCESS_KEY_ID}/\\d{8}/us-east-1/dsql/aws4_request$`),
    );
    expect(params.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("signs a DbConnect token for a custom role", async () => {
    const token = await passwordOf(dsqlPoolOptions(options({ user: "app_writer" })))();
    const { params } = parseToken(token);
    expect(params.get("Action")).toBe("DbConnect");
    expect(params.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("makes a fresh token on every call instead of reusing the first one", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2025-11-26T12:00:00Z"));
    const password = passwordOf(dsqlPoolOptions(options()));
    const first = await password();
    vi.setSystemTime(new Date("2025-11-26T12:20:00Z"));
    const second = await password();

    expect(parseToken(first).params.get("X-Amz-Date")).toBe("20251126T120000Z");
    expect(parseToken(second).params.get("X-Amz-Date")).toBe("20251126T122000Z");
    expect(parseToken(second).params.get("X-Amz-Signature")).not.toBe(
      parseToken(first).params.get("X-Amz-Signature"),
    );
  });
});

interface ReceivedConnection {
  startup: Record<string, string>;
  password: string;
}

/**
 * The smallest PostgreSQL server that lets node-postgres finish a login: it asks for a cleartext password,
 * records the startup parameters and the password it was given, then accepts. Enough to count how often
 * the pool asks for a token; queries are never sent.
 */
async function startLoginRecorder() {
  const received: ReceivedConnection[] = [];
  const sockets = new Set<net.Socket>();
  const message = (type: string, body: Buffer) => {
    const header = Buffer.alloc(5);
    header.write(type, 0, "latin1");
    header.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([header, body]);
  };
  const int32 = (value: number) => {
    const buffer = Buffer.alloc(4);
    buffer.writeInt32BE(value);
    return buffer;
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let pending = Buffer.alloc(0);
    let startup: Record<string, string> | undefined;
    socket.on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (!startup) {
          if (pending.length < 4) return;
          const length = pending.readInt32BE(0);
          if (pending.length < length) return;
          const fields = pending
            .subarray(8, length - 1)
            .toString("utf8")
            .split("\0");
          startup = {};
          for (let i = 0; i + 1 < fields.length; i += 2) startup[fields[i]!] = fields[i + 1]!;
          pending = pending.subarray(length);
          socket.write(message("R", int32(3))); // AuthenticationCleartextPassword
          continue;
        }
        if (pending.length < 5) return;
        const type = String.fromCharCode(pending[0]!);
        const length = pending.readInt32BE(1);
        if (pending.length < length + 1) return;
        const body = pending.subarray(5, length + 1);
        pending = pending.subarray(length + 1);
        if (type === "p") {
          received.push({ startup, password: body.subarray(0, body.length - 1).toString("utf8") });
          socket.write(Buffer.concat([message("R", int32(0)), message("Z", Buffer.from("I"))]));
        } else if (type === "X") {
          socket.end();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return {
    port: address.port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("a pool built from the DSQL options", () => {
  it("asks for a new token for each new connection, and none when it reuses one", async () => {
    const server = await startLoginRecorder();
    const signAdmin = vi.spyOn(DsqlSigner.prototype, "getDbConnectAdminAuthToken");
    // The real options, pointed at the local recorder; TLS off because the recorder does not speak it.
    const db = poolDatabase("dsql", "repeatable read", {
      ...dsqlPoolOptions(options()),
      host: "127.0.0.1",
      port: server.port,
      ssl: false,
    });
    const held: pg.PoolClient[] = [];
    try {
      held.push(await db.pool.connect(), await db.pool.connect());
      expect(signAdmin).toHaveBeenCalledTimes(2);
      for (const client of held.splice(0)) client.release();

      held.push(await db.pool.connect());
      expect(signAdmin).toHaveBeenCalledTimes(2);

      expect(server.received).toHaveLength(2);
      for (const connection of server.received) {
        expect(connection.startup).toMatchObject({ user: "admin", database: "postgres" });
        expect(parseToken(connection.password).params.get("Action")).toBe("DbConnectAdmin");
        expect(connection.password.startsWith(`${ENDPOINT}/?`)).toBe(true);
      }
      const signed = await Promise.all(signAdmin.mock.results.map((result) => result.value));
      expect(server.received.map((connection) => connection.password)).toEqual(signed);
    } finally {
      // pool.end() waits for checked-out clients, so a failed assertion must not leave any behind.
      for (const client of held) client.release();
      await db.close();
      await server.close();
    }
  });
});

describe("the DSQL statement timeout (client side: DSQL has no statement_timeout to set)", () => {
  it("is node-postgres's query_timeout, from DB_STATEMENT_TIMEOUT_MS; 0 means none", () => {
    expect(dsqlPoolOptions(options({ statementTimeoutMs: 250 }))).toMatchObject({ query_timeout: 250 });
    expect(dsqlPoolOptions(options({ statementTimeoutMs: 0 }))).not.toHaveProperty("query_timeout");
    expect(dsqlPoolOptions(options())).not.toHaveProperty("query_timeout");
    const config = loadConfig({
      DSQL_ENDPOINT: ENDPOINT,
      AWS_REGION: "eu-west-1",
      DB_STATEMENT_TIMEOUT_MS: "250",
    });
    expect(config.database).toMatchObject({ kind: "dsql", statementTimeoutMs: 250 });
  });

  it.runIf(postgresAvailable)(
    "ends a statement that outlives it with an unknown outcome, and the pool goes on with a fresh connection",
    async () => {
      // The real DSQL pool options, pointed at the local PostgreSQL (no TLS there, and its own user): the
      // server sets no limit of its own, so only the client's bound can end the sleep.
      const local = new URL(ADMIN_URL);
      const pool = (statementTimeoutMs: number) =>
        poolDatabase("dsql", "repeatable read", {
          ...dsqlPoolOptions(options({ statementTimeoutMs })),
          host: local.hostname,
          port: Number(local.port || 5432),
          user: decodeURIComponent(local.username),
          database: local.pathname.slice(1),
          ssl: false,
        });
      const bounded = pool(200);
      const unbounded = pool(0);
      try {
        const slow = bounded.query("SELECT pg_sleep(5)");
        await expect(slow).rejects.toThrow(/query read timeout/i);
        expect(isOutcomeUnknown(await slow.catch((error: unknown) => error))).toBe(true);
        expect((await bounded.query<{ n: number }>("SELECT 1 AS n")).rows).toEqual([{ n: 1 }]);
        // The control: without the bound the same kind of statement runs to its end.
        expect((await unbounded.query("SELECT pg_sleep(0.5)")).rows).toHaveLength(1);
      } finally {
        await bounded.close();
        await unbounded.close();
      }
    },
  );
});

describe("openDsql", () => {
  it("opens a snapshot-isolation backend without connecting", async () => {
    const db = openDsql(options());
    try {
      expect(db.backend).toBe("dsql");
      expect(db.isolation).toBe("repeatable read");
    } finally {
      await db.close();
    }
  });
});

describe("loadConfig picks the DSQL backend", () => {
  it("uses DSQL when DSQL_ENDPOINT and AWS_REGION are set", () => {
    const config = loadConfig({ DSQL_ENDPOINT: ENDPOINT, AWS_REGION: "eu-west-1", DB_POOL_SIZE: "6" });
    expect(config.database).toEqual({
      kind: "dsql",
      endpoint: ENDPOINT,
      region: "eu-west-1",
      endpoints: [{ endpoint: ENDPOINT, region: "eu-west-1" }],
      user: "admin",
      poolSize: 6,
      acquireTimeoutMs: 5000,
      statementTimeoutMs: 10_000,
    });
    expect(config.seedDemo).toBe(false);
  });

  it("passes a custom DSQL_USER through", () => {
    const config = loadConfig({ DSQL_ENDPOINT: ENDPOINT, AWS_REGION: "eu-west-1", DSQL_USER: "app_writer" });
    expect(config.database).toMatchObject({ kind: "dsql", user: "app_writer" });
  });

  it("refuses DSQL_ENDPOINT without AWS_REGION", () => {
    expect(() => loadConfig({ DSQL_ENDPOINT: ENDPOINT })).toThrow(ConfigError);
    expect(() => loadConfig({ DSQL_ENDPOINT: ENDPOINT })).toThrow(/DSQL_ENDPOINT needs AWS_REGION/);
  });

  it("takes a multi-region cluster's endpoints, local first, each signed for the region in its name", () => {
    const config = loadConfig({
      DSQL_ENDPOINTS: "aaa.dsql.us-east-1.on.aws, bbb.dsql.us-east-2.on.aws,cluster.internal",
      AWS_REGION: "eu-west-1",
    });
    expect(config.database).toMatchObject({
      kind: "dsql",
      endpoint: "aaa.dsql.us-east-1.on.aws",
      region: "us-east-1",
      endpoints: [
        { endpoint: "aaa.dsql.us-east-1.on.aws", region: "us-east-1" },
        { endpoint: "bbb.dsql.us-east-2.on.aws", region: "us-east-2" },
        { endpoint: "cluster.internal", region: "eu-west-1" },
      ],
    });
    expect(() => loadConfig({ DSQL_ENDPOINTS: "cluster.internal" })).toThrow(/needs its region/);
    expect(() => loadConfig({ DSQL_ENDPOINTS: ",", AWS_REGION: "eu-west-1" })).toThrow(
      /at least one endpoint/,
    );
    expect(() =>
      loadConfig({
        DSQL_ENDPOINTS: "aaa.dsql.us-east-1.on.aws",
        DSQL_ENDPOINT: ENDPOINT,
        AWS_REGION: "eu-west-1",
      }),
    ).toThrow(/not both/);
  });

  it("refuses DSQL_ENDPOINT together with DATABASE_URL", () => {
    const env = {
      DSQL_ENDPOINT: ENDPOINT,
      AWS_REGION: "eu-west-1",
      DATABASE_URL: "postgres://127.0.0.1/test",
    };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/either DATABASE_URL .* or DSQL_ENDPOINT .*, not both/);
  });

  it("stays on PostgreSQL or PGlite when DSQL_ENDPOINT is absent", () => {
    expect(loadConfig({ AWS_REGION: "eu-west-1" }).database.kind).toBe("pglite");
    expect(loadConfig({ DATABASE_URL: "postgres://127.0.0.1/test" }).database.kind).toBe("postgres");
  });
});
