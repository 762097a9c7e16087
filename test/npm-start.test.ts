import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { DEMO_SELLER_EMAIL } from "../src/demo-seed";
import { readableLine } from "../src/observability/readable-lines";

/**
 * `npm start` as a newcomer runs it, as a real npm child process on a fresh embedded database: its first
 * lines say where to open the app and how to sign in, the demo seller's sign-in is never lost (the password
 * is not written to a non-terminal, and `npm run seller:reset -- EMAIL` prints a new one that works), and
 * SIGTERM sent to the npm process itself stops the server (before the start scripts `exec`ed the runtime,
 * npm's shell kept the signal and Bun stayed listening).
 */
const ROOT = new URL("..", import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), "dropfront-start-"));
const started: ChildProcess[] = [];
/** npm's children (the server), so a failing run does not leave one listening. */
const servers: number[] = [];

afterAll(() => {
  for (const child of started) if (child.exitCode === null) child.kill("SIGKILL");
  for (const pid of servers) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone, as it should be
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** `npm start` with `env`; resolves with the child, its output so far and where it listens. */
async function npmStart(env: Record<string, string>) {
  const child = spawn("npm", ["start"], {
    cwd: ROOT,
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", DATA_DIR: dataDir, DRAIN_GRACE_MS: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      // The sign-in line comes right after the listening line: wait for both.
      const match = /Dropfront Live on http:\/\/[\d.]+:(\d+)[\s\S]*(?:Sign in at|sign up or sign in)/.exec(
        out,
      );
      if (match) {
        clearInterval(timer);
        resolve(Number(match[1]));
      }
    }, 50);
    child.once("exit", (code) => {
      clearInterval(timer);
      reject(new Error(`npm start exited (${code}): ${out}`));
    });
  });
  return { child, port, output: () => out };
}

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Sends SIGTERM to npm's own pid and waits until nothing listens on the port any more. */
async function stopThroughNpm(child: ChildProcess, port: number): Promise<void> {
  const children = spawnSync("pgrep", ["-P", String(child.pid)], { encoding: "utf8" }).stdout;
  servers.push(...children.split("\n").filter(Boolean).map(Number));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
  for (let i = 0; i < 200 && (await listening(port)); i++) await new Promise((r) => setTimeout(r, 100));
  expect(await listening(port)).toBe(false);
}

describe("npm start", () => {
  test("says where to open the app and how to sign in, keeps the password out of logs, stops on SIGTERM to npm", async () => {
    const { child, port, output } = await npmStart({});
    const lines = output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { msg: string });
    // Not a terminal: JSON lines, the first two say where and how.
    expect(lines[0]!.msg).toContain(`open http://127.0.0.1:${port}`);
    expect(lines[1]!.msg).toBe(
      `Sign in at http://127.0.0.1:${port}/seller/sign-in as ${DEMO_SELLER_EMAIL}; password lost? stop the server and run: npm run seller:reset -- ${DEMO_SELLER_EMAIL}`,
    );
    // The demo's line follows the sign-in line: wait for it rather than read the output at one instant.
    const seeded = `npm run seller:reset -- ${DEMO_SELLER_EMAIL} prints a new one`;
    for (let i = 0; i < 600 && !output().includes(seeded); i++) await new Promise((r) => setTimeout(r, 50));
    expect(output()).toContain(seeded);
    expect(output()).not.toContain("Password:");
    expect(await listening(port)).toBe(true);

    await stopThroughNpm(child, port);
  }, 120_000);

  test("seller:reset prints a new password that signs the demo seller in; the next start says so again, readably", async () => {
    const reset = spawnSync("npm", ["run", "-s", "seller:reset", "--", DEMO_SELLER_EMAIL], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(reset.stderr).toBe("");
    expect(reset.status).toBe(0);
    const password = /New password for demo@dropfront\.test: (\S+)/.exec(reset.stdout)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{16}$/);

    const unknown = spawnSync("npm", ["run", "-s", "seller:reset", "--", "nobody@example.com"], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("no seller has the email nobody@example.com");

    // LOG_PRETTY=true is what a terminal gets by default: readable lines, the same two first. The rate
    // limit is off as the README says to start it for its stampede example, which runs below.
    const { child, port, output } = await npmStart({ LOG_PRETTY: "true", PURCHASE_RATE_LIMIT: "0" });
    const lines = output()
      .split("\n")
      .filter((line) => /^\d\d:\d\d:\d\d /.test(line));
    expect(lines[0]).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d INFO  Dropfront Live on .*open http://127.0.0.1:${port} `),
    );
    expect(lines[1]).toMatch(/INFO {2}Sign in at .* as demo@dropfront\.test; password lost\?/);
    expect(output()).not.toContain('{"level"');

    // The new password signs in through the real form (its CSRF token and cookie from the page).
    const base = `http://127.0.0.1:${port}`;
    const page = await fetch(`${base}/seller/sign-in`);
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1];
    const signIn = await fetch(`${base}/seller/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: base, cookie },
      body: new URLSearchParams({ email: DEMO_SELLER_EMAIL, password: password!, csrf: csrf! }),
      redirect: "manual",
    });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get("location")).toBe("/seller/drops");

    // The README's stampede example against this server, with a seller's API key.
    const seller = await fetch(`${base}/api/sellers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "stampede@example.com", password: "a long password", name: "Stampede" }),
    }).then((res) => res.json() as Promise<{ apiKey: string }>);
    const stampede = spawnSync(
      "npm",
      [
        "run",
        "-s",
        "stampede",
        "--",
        "--url",
        base,
        "--seller-key",
        seller.apiKey,
        "--quantity",
        "20",
        "--attempts",
        "100",
        "--concurrency",
        "10",
      ],
      { cwd: ROOT, encoding: "utf8", timeout: 90_000 },
    );
    expect(stampede.stdout).toContain("Dropfront stampede receipt: PASS");
    expect(stampede.stdout).toMatch(/outcomes\s+won 20, sold out 80, busy 0, errors 0/);
    expect(stampede.status).toBe(0);

    await stopThroughNpm(child, port);
  }, 120_000);
});

describe("readable lines", () => {
  test("time, level, message, then the fields; an error by type and message", () => {
    const line = JSON.stringify({
      level: 30,
      time: Date.UTC(2030, 0, 1, 12, 0, 3),
      msg: "hi",
      port: 3000,
      x: { a: 1 },
    });
    expect(readableLine(line)).toBe('12:00:03 INFO  hi port=3000 x={"a":1}');
    const err = JSON.stringify({ level: 50, time: 0, msg: "boom", err: { type: "Error", message: "bad" } });
    expect(readableLine(err)).toBe("00:00:00 ERROR boom err=Error: bad");
    expect(readableLine("not json\n")).toBe("not json");
  });
});
