import { createLiveDrop, createSellerAccount, keepAliveClient, LatencyHistogram } from "../src/stampede";
import { startServerProcess } from "./server-process";

/**
 * Section "rehearsal isolation" ([5] §2): does a Stress Test slow a live drop? A real server process (PGlite
 * in memory, or PostgreSQL) is probed one request at a time — /healthz, and every fifth probe a real
 * purchase on another seller's live drop — first with nothing else running, then while a Stress Test of
 * `attempts` at `concurrency` runs on it. The figures are p99s of those probes, and their ratio (goal ≤ 3×).
 */
export interface IsolationFigures {
  backend: string;
  attempts: number;
  concurrency: number;
  quiet: ProbeFigures;
  duringRun: ProbeFigures;
  /** The Stress Test's own receipt headline and status. */
  run: { status: string; answered: number; seconds: number };
}

export interface ProbeFigures {
  healthz: { count: number; p50: number | null; p99: number | null; max: number | null };
  purchase: { count: number; p50: number | null; p99: number | null; max: number | null; failed: number };
}

/** A browser-like session over HTTP: keeps cookies, reads the csrf token of a page, posts forms. */
export function webSession(baseUrl: string) {
  const cookies = new Map<string, string>();
  const cookie = () => [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  const remember = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  };
  const get = async (path: string) => {
    const res = await fetch(`${baseUrl}${path}`, { headers: { cookie: cookie() }, redirect: "manual" });
    remember(res);
    return res;
  };
  const submit = async (page: string, action: string, form: Record<string, string>) => {
    const html = await (await get(page)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!csrf) throw new Error(`no form token on ${page}`);
    const res = await fetch(`${baseUrl}${action}`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: cookie(), "content-type": "application/x-www-form-urlencoded", origin: baseUrl },
      body: new URLSearchParams({ csrf, ...form }).toString(),
    });
    remember(res);
    return res;
  };
  return { get, submit };
}

const summary = (h: LatencyHistogram) => ({
  count: h.count,
  p50: h.percentile(0.5),
  p99: h.percentile(0.99),
  max: h.max,
});

/** Probes one request at a time until `keepGoing` says stop: /healthz, and a purchase every fifth probe. */
async function probe(
  baseUrl: string,
  dropId: string,
  tag: string,
  keepGoing: () => boolean,
): Promise<ProbeFigures> {
  const client = keepAliveClient(baseUrl, 2, 60_000);
  const healthz = new LatencyHistogram();
  const purchase = new LatencyHistogram();
  let failed = 0;
  try {
    for (let n = 0; keepGoing(); n++) {
      let startedAt = performance.now();
      const health = await client.get("/healthz");
      healthz.record(performance.now() - startedAt);
      if (health.status !== 200) failed++;
      if (n % 5 === 4) {
        startedAt = performance.now();
        const bought = await client.postJson(
          `/api/drops/${dropId}/purchase`,
          JSON.stringify({ fan: `probe-${tag}-${n}` }),
          { "idempotency-key": `probe-${tag}-${n}` },
        );
        purchase.record(performance.now() - startedAt);
        if (bought.status !== 201) failed++;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    client.close();
  }
  return { healthz: summary(healthz), purchase: { ...summary(purchase), failed } };
}

/**
 * Runs the section on one backend: `env` chooses it for the server process (DATA_DIR=memory for PGlite,
 * DATABASE_URL for PostgreSQL).
 */
export async function benchRehearsalIsolation(
  backend: string,
  env: Record<string, string>,
  sizes: { attempts: number; concurrency: number; quietSeconds: number },
  log: (line: string) => void,
): Promise<IsolationFigures> {
  const server = await startServerProcess({
    ...env,
    STRESS_RUNS_PER_HOUR: "1000",
    STRESS_ATTEMPTS_PER_DAY: "100000000",
    STRESS_MAX_ATTEMPTS: String(Math.max(sizes.attempts, 1)),
    STRESS_MAX_CONCURRENCY: String(sizes.concurrency),
  });
  try {
    const web = webSession(server.url);
    const email = `isolation-${Date.now()}@bench.test`;
    await web.submit("/seller/sign-up", "/seller/sign-up", {
      name: "Isolation",
      email,
      password: "bench password 1",
    });
    const created = await web.submit("/seller/drops/new", "/seller/drops", {
      title: "Rehearsed drop",
      description: "Stress Tested by the bench.",
      price: "25.00",
      currency: "usd",
      quantity: "1000",
      maxPerFan: "1",
      startsAt: "2030-01-15T18:00",
      timeZone: "UTC",
    });
    const slug = created.headers.get("location")?.replace("/seller/drops/", "");
    if (!slug) throw new Error(`creating the rehearsed drop answered ${created.status}`);
    const live = await createLiveDrop(
      server.url,
      await createSellerAccount(server.url),
      1_000_000,
      "Live drop",
    );

    log(`${backend}: probing with nothing else running (${sizes.quietSeconds} s)`);
    const quietUntil = performance.now() + sizes.quietSeconds * 1000;
    const quiet = await probe(server.url, live.id, "quiet", () => performance.now() < quietUntil);

    const startedRes = await web.submit(`/seller/drops/${slug}`, `/seller/drops/${slug}/stress`, {
      attempts: String(sizes.attempts),
      concurrency: String(sizes.concurrency),
    });
    const runPath = startedRes.headers.get("location");
    if (startedRes.status !== 303 || !runPath)
      throw new Error(`starting the Stress Test answered ${startedRes.status}`);
    const look = async () => {
      const html = await (await web.get(runPath)).text();
      const answered = Number(/id="stress-progress" max="\d+" value="(\d+)"/.exec(html)?.[1] ?? 0);
      const status = /<span id="stress-status">([^<]+)<\/span>/.exec(html)?.[1] ?? "unknown";
      return { answered, status };
    };
    // Probe only while the rehearsal is really buying: from its first answers until it ends.
    let state = await look();
    while (state.status === "Running" && state.answered === 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = await look();
    }
    log(`${backend}: probing during a ${sizes.attempts}-attempt Stress Test at ${sizes.concurrency} at once`);
    const runStartedAt = performance.now();
    let running = state.status === "Running";
    const watcher = (async () => {
      while (running) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        state = await look();
        running = state.status === "Running";
      }
    })();
    const duringRun = await probe(server.url, live.id, "run", () => running);
    await watcher;
    return {
      backend,
      ...sizes,
      quiet,
      duringRun,
      run: {
        status: state.status,
        answered: state.answered,
        seconds: (performance.now() - runStartedAt) / 1000,
      },
    };
  } finally {
    await server.stop();
  }
}

const ms = (n: number | null) => (n === null ? "n/a" : n < 10 ? n.toFixed(2) : n.toFixed(1));
const times = (during: number | null, quiet: number | null) =>
  during === null || quiet === null || quiet === 0 ? "n/a" : `${(during / quiet).toFixed(2)}×`;
const goal = (during: number | null, quiet: number | null) =>
  during !== null && quiet !== null && during <= 3 * quiet ? "met" : "**missed**";

/** The section as Markdown, for BENCHMARKS.md. */
export function formatIsolation(rows: IsolationFigures[]): string {
  const head = [
    "backend",
    "Stress Test",
    "probe",
    "p50 quiet / during (ms)",
    "p99 quiet / during (ms)",
    "p99 ratio (goal ≤ 3×)",
    "probes (quiet / during)",
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => " --- ").join("|")}|`];
  for (const r of rows) {
    const run = `${r.attempts.toLocaleString("en-US")} at ${r.concurrency}, ${r.run.seconds.toFixed(0)} s, ${r.run.status}`;
    for (const [name, quiet, during] of [
      ["/healthz", r.quiet.healthz, r.duringRun.healthz],
      ["purchase, another drop", r.quiet.purchase, r.duringRun.purchase],
    ] as const) {
      lines.push(
        `| ${[
          r.backend,
          run,
          name,
          `${ms(quiet.p50)} / ${ms(during.p50)}`,
          `${ms(quiet.p99)} / ${ms(during.p99)}`,
          `${times(during.p99, quiet.p99)} ${goal(during.p99, quiet.p99)}`,
          `${quiet.count} / ${during.count}`,
        ].join(" | ")} |`,
      );
    }
  }
  const failed = rows.reduce((sum, r) => sum + r.quiet.purchase.failed + r.duringRun.purchase.failed, 0);
  return [
    "### Rehearsal isolation: a live drop during a Stress Test",
    "",
    "One probe at a time against the server process: `/healthz`, and every fifth probe a real purchase on",
    "another seller's live drop; first with nothing else running, then for the whole Stress Test.",
    "",
    ...lines,
    "",
    `Live probes that did not get 200/201: ${failed}.`,
  ].join("\n");
}
