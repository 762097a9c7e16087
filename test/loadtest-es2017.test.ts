import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "acorn";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

/**
 * loadtest/ runs inside k6, not Node: its scripts must parse as ES2017, type-check against @types/k6, and
 * behave as a stampede should. k6 is not installed here, so the last part runs stampede.js's lifecycle
 * (setup, iterations, teardown, handleSummary) against a small stand-in for the k6 modules whose HTTP goes
 * through curl to the real server, started as a child process.
 */

const root = path.resolve(import.meta.dirname, "..");
const loadtestDir = path.join(root, "loadtest");
const scripts = readdirSync(loadtestDir).filter((name) => name.endsWith(".js"));

const parseAsEs2017 = (source: string) => parse(source, { ecmaVersion: 2017, sourceType: "module" });

describe("loadtest scripts are plain ES2017", () => {
  it("finds the scripts", () => {
    expect(scripts).toContain("stampede.js");
  });

  it.each(scripts)("%s parses as ES2017", (name) => {
    expect(() => parseAsEs2017(readFileSync(path.join(loadtestDir, name), "utf8"))).not.toThrow();
  });

  it.each([
    ["optional chaining", "const x = a?.b;"],
    ["nullish coalescing", "const x = a ?? b;"],
    ["object spread", "const x = { ...a };"],
    ["optional catch binding", "try { f(); } catch { g(); }"],
    ["class fields", "class A { x = 1; }"],
  ])("rejects %s, so the check can fail", (_feature, source) => {
    expect(() => parse(source, { ecmaVersion: "latest", sourceType: "module" })).not.toThrow();
    expect(() => parseAsEs2017(source)).toThrow(SyntaxError);
  });

  it("type-checks against @types/k6 (tsc -p loadtest)", () => {
    const tsc = path.join(root, "node_modules", ".bin", "tsc");
    expect(() => execFileSync(tsc, ["-p", "loadtest"], { cwd: root, encoding: "utf8" })).not.toThrow();
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------------------
// A stand-in for the k6 modules the stampede imports: metrics are recorded, HTTP is synchronous via curl.

const k6 = vi.hoisted(() => {
  type Sample = { value: number; tags: Record<string, string> };
  const metrics = new Map<string, { type: string; samples: Sample[] }>();
  const metric = (type: string) =>
    class {
      constructor(readonly name: string) {
        metrics.set(name, { type, samples: [] });
      }
      add(value: number, tags: Record<string, string> = {}) {
        metrics.get(this.name)!.samples.push({ value, tags });
      }
    };
  return {
    metrics,
    exec: { scenario: { iterationInTest: 0 } },
    /** Test hook: replaces a response before the script sees it. */
    intercept: undefined as undefined | ((method: string, url: string) => StubResponse | undefined),
    Counter: metric("counter"),
    Gauge: metric("gauge"),
    Trend: metric("trend"),
  };
});

type StubResponse = {
  status: number;
  body: string;
  error: string;
  error_code: number;
  timings: { duration: number };
};

function curl(method: string, url: string, body: string | null, params: { headers?: object } = {}) {
  const replaced = k6.intercept?.(method, url);
  if (replaced) return replaced;
  const headers = Object.entries(params.headers ?? {}).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  const args = ["-s", "-X", method, ...headers, "-w", "\n%{http_code} %{time_total}", url];
  try {
    const out = execFileSync("curl", body === null ? args : [...args, "--data-binary", "@-"], {
      input: body ?? "",
      encoding: "utf8",
    });
    const cut = out.lastIndexOf("\n");
    const [code, seconds] = out.slice(cut + 1).split(" ");
    const duration = Number(seconds) * 1000;
    return { status: Number(code), body: out.slice(0, cut), error: "", error_code: 0, timings: { duration } };
  } catch (error) {
    return { status: 0, body: "", error: String(error), error_code: 1, timings: { duration: 0 } };
  }
}

vi.mock("k6", () => ({
  sleep: (seconds: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000),
}));
vi.mock("k6/execution", () => ({ default: k6.exec }));
vi.mock("k6/metrics", () => ({ Counter: k6.Counter, Gauge: k6.Gauge, Trend: k6.Trend }));
vi.mock("k6/http", () => ({
  default: {
    get: (url: string, params?: object) => curl("GET", url, null, params),
    post: (url: string, body: string, params?: object) => curl("POST", url, body, params),
    setResponseCallback: () => undefined,
    expectedStatuses: () => undefined,
  },
}));

type Summary = {
  metrics: Record<string, { values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
  state: { testRunDurationMs: number };
  setup_data?: unknown;
};

interface Stampede {
  options: {
    scenarios: { stampede: { iterations: number; vus: number } };
    thresholds: Record<string, string[]>;
  };
  setup(): { ref: string; slug: string; remainingAtStart: number };
  default(run: unknown): void;
  teardown(run: unknown): void;
  handleSummary(data: Summary): Record<string, string>;
  outcomeOf(res: Partial<StubResponse>): string;
  breachesOf(run: unknown, stock: Record<string, number | boolean>): string[];
}

/** Imports the script afresh under `env`, as k6 evaluates its init code once per run. */
async function loadStampede(env: Record<string, string>): Promise<Stampede> {
  (globalThis as Record<string, unknown>).__ENV = env;
  k6.metrics.clear();
  k6.intercept = undefined;
  vi.resetModules();
  const file = path.join(loadtestDir, "stampede.js");
  return (await import(/* @vite-ignore */ file)) as Stampede;
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

/** What k6 hands handleSummary(), computed from the recorded samples, with `count==N`-style thresholds. */
function summaryOf(stampede: Stampede, durationMs: number, setupData: unknown): Summary {
  const metrics: Summary["metrics"] = {};
  for (const [name, { type, samples }] of k6.metrics) {
    if (samples.length === 0) continue;
    const values = samples.map((s) => s.value);
    const sum = values.reduce((a, b) => a + b, 0);
    const sorted = [...values].sort((a, b) => a - b);
    metrics[name] = {
      values:
        type === "counter"
          ? { count: sum, rate: sum / (durationMs / 1000) }
          : type === "gauge"
            ? { value: values.at(-1)!, min: sorted[0]!, max: sorted.at(-1)! }
            : { avg: sum / values.length, med: percentile(sorted, 50), "p(99)": percentile(sorted, 99) },
    };
  }
  for (const [name, expressions] of Object.entries(stampede.options.thresholds)) {
    const metric = metrics[name];
    if (!metric) continue;
    metric.thresholds = {};
    for (const expression of expressions) {
      const [, stat, wanted] = /^(\w+)==(\d+)$/.exec(expression) ?? [];
      if (!stat || wanted === undefined) throw new Error(`stand-in cannot evaluate threshold ${expression}`);
      metric.thresholds[expression] = { ok: metric.values[stat] === Number(wanted) };
    }
  }
  return { metrics, state: { testRunDurationMs: durationMs }, setup_data: setupData };
}

/** setup, `iterations` sequential attempts (k6 would run them on many VUs), teardown, handleSummary. */
function runLifecycle(stampede: Stampede, iterations = stampede.options.scenarios.stampede.iterations) {
  const started = Date.now();
  const run = stampede.setup();
  for (let i = 0; i < iterations; i++) {
    k6.exec.scenario.iterationInTest = i;
    stampede.default(run);
  }
  let teardownError: unknown;
  try {
    stampede.teardown(run);
  } catch (error) {
    teardownError = error;
  }
  const summary = summaryOf(stampede, Date.now() - started, run);
  return { run, teardownError, summary, files: stampede.handleSummary(summary) };
}

const count = (summary: Summary, name: string) => summary.metrics[name]?.values.count;

describe("stampede.js against the real server (k6 stand-in)", () => {
  let server: ChildProcess;
  let baseUrl = "";
  let sellerKey = "";

  beforeAll(async () => {
    // Always an in-memory database of its own, even where CI points DATABASE_URL at PostgreSQL.
    const { DATABASE_URL: _pg, DSQL_ENDPOINT: _dsql, ...env } = process.env;
    server = spawn(path.join(root, "node_modules", ".bin", "tsx"), ["src/server.ts"], {
      cwd: root,
      // One client stampedes from loopback on purpose: no per-client purchase limit here.
      env: {
        ...env,
        HOST: "127.0.0.1",
        PORT: "0",
        DATA_DIR: "memory",
        SEED_DEMO: "never",
        PURCHASE_RATE_LIMIT: "0",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    baseUrl = await new Promise<string>((resolve, reject) => {
      let out = "";
      server.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /on (http:\/\/[\d.]+:\d+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      server.once("exit", (code) => reject(new Error(`server exited with ${code}: ${out}`)));
    });
    const res = await fetch(`${baseUrl}/api/sellers`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: "stampede@example.com", password: "correct horse battery", name: "S" }),
    });
    sellerKey = ((await res.json()) as { apiKey: string }).apiKey;
  }, 60_000);

  afterAll(() => {
    server?.kill();
  });

  it("sells a fresh drop exactly out, audits it, and prints a passing receipt", async () => {
    const summaryJson = path.join(mkdtempSync(path.join(tmpdir(), "stampede-")), "receipt.json");
    const stampede = await loadStampede({
      BASE_URL: baseUrl,
      SELLER_KEY: sellerKey,
      QUANTITY: "5",
      ATTEMPTS: "15",
      VUS: "50",
      SUMMARY_JSON: summaryJson,
    });
    expect(stampede.options.scenarios.stampede).toMatchObject({ iterations: 15, vus: 15 });
    expect(stampede.options.thresholds.purchase_won).toEqual(["count==5"]);

    const { teardownError, summary, files } = runLifecycle(stampede);

    expect(teardownError).toBeUndefined();
    expect(count(summary, "purchase_won")).toBe(5);
    expect(count(summary, "purchase_sold_out")).toBe(10);
    expect(count(summary, "unexpected_errors")).toBe(0);
    expect(count(summary, "invariant_breaches")).toBe(0);
    expect(summary.metrics.audit_sold?.values.value).toBe(5);
    expect(files.stdout).toContain("Dropfront stampede receipt: PASS");
    expect(files.stdout).toMatch(/won 5, sold out 10, busy 0, errors 0/);
    const receipt = JSON.parse(files[summaryJson] ?? "{}");
    expect(receipt).toMatchObject({ verdict: "PASS", attempts: 15, quantity: 5, sold: 5, oversold: 0 });
    expect(receipt).toMatchObject({ duplicateUnits: 0, unitsOutOfRange: 0, soldThisRun: 5, won: 5 });
  }, 60_000);

  it("fails the run when demand covered the stock but units were left unsold", async () => {
    const stampede = await loadStampede({ BASE_URL: baseUrl, SELLER_KEY: sellerKey, QUANTITY: "4" });
    // Only 2 of the 40 planned attempts reach the server, as if the rest were lost on the way.
    const { teardownError, summary, files } = runLifecycle(stampede, 2);

    expect(String(teardownError)).toMatch(/INVARIANT BROKEN.*40 attempts for 4 units, yet only 2 sold/);
    expect(count(summary, "invariant_breaches")).toBe(1);
    expect(summary.metrics.invariant_breaches?.thresholds?.["count==0"]?.ok).toBe(false);
    expect(summary.metrics.purchase_won?.thresholds?.["count==4"]?.ok).toBe(false);
    expect(files.stdout).toContain("Dropfront stampede receipt: FAIL");
  }, 60_000);

  it("fails the run when the audit reports an oversold drop", async () => {
    const stampede = await loadStampede({ BASE_URL: baseUrl, SELLER_KEY: sellerKey, QUANTITY: "3" });
    const run = stampede.setup();
    const lie = { quantity: 3, sold: 4, remaining: 0, oversold: 1, duplicateUnits: 1, unitsOutOfRange: 0 };
    k6.intercept = (method, url) =>
      method === "GET" && url.endsWith("/audit")
        ? { status: 200, body: JSON.stringify(lie), error: "", error_code: 0, timings: { duration: 1 } }
        : undefined;
    expect(() => stampede.teardown(run)).toThrow(/INVARIANT BROKEN.*oversold.*1 units sold twice/);
    expect(k6.metrics.get("audit_oversold")?.samples.at(-1)?.value).toBe(1);
  }, 60_000);

  it("targets an existing drop by slug and, without a key, falls back to the public stock", async () => {
    const created = await fetch(`${baseUrl}/api/drops`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${sellerKey}` },
      body: JSON.stringify({
        title: "Given",
        priceCents: 100,
        quantity: 3,
        startsAt: new Date(Date.now() - 60_000).toISOString(),
      }),
    });
    const { drop } = (await created.json()) as { drop: { slug: string } };
    const stampede = await loadStampede({ BASE_URL: baseUrl, DROP: drop.slug, QUANTITY: "3", ATTEMPTS: "6" });
    expect(stampede.options.thresholds.purchase_won).toBeUndefined();

    const { teardownError, summary, files } = runLifecycle(stampede);

    expect(teardownError).toBeUndefined();
    expect(count(summary, "purchase_won")).toBe(3);
    expect(summary.metrics.audit_available?.values.value).toBe(0);
    expect(files.stdout).toContain("audit not available without SELLER_KEY");
    expect(files.stdout).toContain("Dropfront stampede receipt: PASS");
  }, 60_000);

  it("refuses to start without SELLER_KEY or DROP, or when the drop cannot be made", async () => {
    const bare = await loadStampede({ BASE_URL: baseUrl });
    expect(() => bare.setup()).toThrow(/Set SELLER_KEY .* or DROP/);
    const badKey = await loadStampede({ BASE_URL: baseUrl, SELLER_KEY: "not-a-key" });
    expect(() => badKey.setup()).toThrow(/could not create a drop.*HTTP 401/);
    const missing = await loadStampede({ BASE_URL: baseUrl, DROP: "no-such-drop" });
    expect(() => missing.setup()).toThrow(/cannot read drop "no-such-drop".*HTTP 404/);
  }, 60_000);
});

describe("outcomeOf", () => {
  it("names every way a purchase can end", async () => {
    const { outcomeOf } = await loadStampede({});
    const res = (status: number, body: unknown = {}) => ({ status, body: JSON.stringify(body) });
    const conflict = (code: string) => res(409, { error: { code } });
    expect(outcomeOf(res(201, { order: { unitNo: 1 } }))).toBe("won");
    expect(outcomeOf(res(201, { nothing: true }))).toBe("error");
    expect(outcomeOf(res(200, { order: { unitNo: 1 } }))).toBe("replay");
    expect(outcomeOf(conflict("sold_out"))).toBe("sold_out");
    expect(outcomeOf(conflict("not_live"))).toBe("not_live");
    expect(outcomeOf(conflict("limit_reached"))).toBe("limit_reached");
    expect(outcomeOf(conflict("email_taken"))).toBe("invalid");
    expect(outcomeOf(res(503, { error: { code: "busy" } }))).toBe("busy");
    expect(outcomeOf(res(400))).toBe("invalid");
    expect(outcomeOf(res(404))).toBe("invalid");
    expect(outcomeOf(res(500))).toBe("error");
    expect(outcomeOf({ status: 0, body: "" })).toBe("error");
  });
});
