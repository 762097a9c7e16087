/**
 * The stampede: many fans hit one drop at the same moment, and afterwards the database's own audit must
 * show that exactly the stock was sold, never a unit more, each unit once.
 *
 *   k6 run loadtest/stampede.js                      (see loadtest/README.md for every variable)
 *   SELLER_KEY=... QUANTITY=1000 VUS=200 k6 run loadtest/stampede.js
 *
 * Plain ES2017 that imports only k6 modules, so any k6 release can run it unbundled;
 * test/loadtest-es2017.test.ts holds it to that.
 */
import { sleep } from "k6";
import exec from "k6/execution";
import http from "k6/http";
import { Counter, Gauge, Trend } from "k6/metrics";

/**
 * What setup() hands to every iteration and to teardown().
 * @typedef {object} Run
 * @property {string} ref drop id
 * @property {string} slug
 * @property {string} runId random tag that keeps this run's fans and idempotency keys apart from earlier runs
 * @property {number} quantity
 * @property {number} remainingAtStart
 * @property {boolean} canAudit
 */

/**
 * The stock as the server reports it after the stampede.
 * @typedef {object} StockReport
 * @property {boolean} audited true when it came from the owner's audit, false when only from the public stock
 * @property {number} quantity
 * @property {number} sold
 * @property {number} remaining
 * @property {number} oversold
 * @property {number} duplicateUnits -1 when unknown
 * @property {number} unitsOutOfRange -1 when unknown
 */

/** @param {string} name @param {number} fallback @returns {number} */
function wholeNumberFromEnv(name, fallback) {
  const text = __ENV[name];
  if (text === undefined || text === "") return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new Error(`stampede: ${name} must be a whole number of at least 1, got "${text}"`);
  }
  return Number(text);
}

const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:3000").replace(/\/+$/, "");
const SELLER_KEY = __ENV.SELLER_KEY || "";
const DROP = __ENV.DROP || "";
const QUANTITY = wholeNumberFromEnv("QUANTITY", 1000);
// k6 fixes the iteration count before setup() can read a DROP's stock, so QUANTITY sizes the default there too.
const ATTEMPTS = wholeNumberFromEnv("ATTEMPTS", 10 * QUANTITY);
const VUS = Math.min(wholeNumberFromEnv("VUS", 200), ATTEMPTS);
const MAX_DURATION = __ENV.MAX_DURATION || "30m";
const SUMMARY_JSON = __ENV.SUMMARY_JSON || "";
/** A drop that goes live within this many seconds is waited for rather than refused. */
const MAX_WAIT_FOR_LIVE_S = 60;

/** @type {Record<string, string[]>} */
const thresholds = {
  // Replays, refusals for a live drop, 4xx and 5xx other than busy are all bugs in a stampede of new fans.
  unexpected_errors: ["count==0"],
  // Bumped by teardown() when the audit breaks an invariant; the threshold fails the run on any k6 release.
  invariant_breaches: ["count==0"],
};
if (SELLER_KEY && !DROP && ATTEMPTS >= QUANTITY) {
  // A fresh drop with enough demand: every unit must have been acknowledged to exactly one fan.
  thresholds.purchase_won = [`count==${QUANTITY}`];
}

/** @type {import("k6/options").Options} */
export const options = {
  scenarios: {
    stampede: {
      executor: "shared-iterations",
      vus: VUS,
      iterations: ATTEMPTS,
      maxDuration: MAX_DURATION,
    },
  },
  setupTimeout: `${MAX_WAIT_FOR_LIVE_S + 60}s`,
  teardownTimeout: "60s",
  summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"],
  thresholds: thresholds,
};

/** One counter per way a purchase can end. */
const outcomes = {
  won: new Counter("purchase_won"),
  replay: new Counter("purchase_replay"),
  sold_out: new Counter("purchase_sold_out"),
  not_live: new Counter("purchase_not_live"),
  limit_reached: new Counter("purchase_limit_reached"),
  busy: new Counter("purchase_busy"),
  invalid: new Counter("purchase_invalid"),
  error: new Counter("purchase_error"),
};
/** @typedef {keyof typeof outcomes} Outcome */

/** @type {Outcome[]} */
const UNEXPECTED = ["replay", "not_live", "limit_reached", "invalid", "error"];

const unexpectedErrors = new Counter("unexpected_errors");
const invariantBreaches = new Counter("invariant_breaches");
const winLatency = new Trend("win_latency", true);
const rejectionLatency = new Trend("rejection_latency", true);
const busyLatency = new Trend("busy_latency", true);

// teardown() can only reach handleSummary() through metrics, so the audit travels as gauges.
const audit = {
  available: new Gauge("audit_available"),
  quantity: new Gauge("audit_quantity"),
  sold: new Gauge("audit_sold"),
  remaining: new Gauge("audit_remaining"),
  oversold: new Gauge("audit_oversold"),
  duplicateUnits: new Gauge("audit_duplicate_units"),
  unitsOutOfRange: new Gauge("audit_units_out_of_range"),
  soldBefore: new Gauge("audit_sold_before"),
};

// Sold out and busy are expected answers under a stampede, so they must not count as failed requests.
http.setResponseCallback(http.expectedStatuses(200, 201, 409, 503));

/** @param {string} path */
function url(path) {
  return BASE_URL + path;
}

/**
 * The body as JSON, or an empty object when it is not, so callers can read fields without guards.
 * @param {import("k6/http").RefinedResponse<any>} res @returns {any}
 */
function jsonOf(res) {
  if (typeof res.body !== "string") return {};
  try {
    const parsed = JSON.parse(res.body);
    return parsed !== null && typeof parsed === "object" ? parsed : {};
  } catch (_notJson) {
    return {};
  }
}

/** @param {import("k6/http").RefinedResponse<any>} res */
function describe(res) {
  if (res.status === 0) return `network error ${res.error_code}: ${res.error}`;
  const body = typeof res.body === "string" ? res.body.slice(0, 300) : "";
  return `HTTP ${res.status} ${body}`;
}

/** @param {string} ref */
function getDrop(ref) {
  const res = http.get(url(`/api/drops/${encodeURIComponent(ref)}`), { tags: { name: "drop" } });
  const body = jsonOf(res);
  if (res.status !== 200 || !body.drop) {
    throw new Error(`stampede: cannot read drop "${ref}" at ${BASE_URL}: ${describe(res)}`);
  }
  return body.drop;
}

/** @param {string} ref @returns {import("k6/http").RefinedResponse<any>} */
function getAudit(ref) {
  return http.get(url(`/api/drops/${encodeURIComponent(ref)}/audit`), {
    headers: { Authorization: `Bearer ${SELLER_KEY}` },
    tags: { name: "audit" },
  });
}

/** @param {string} runId */
function createDrop(runId) {
  const res = http.post(
    url("/api/drops"),
    JSON.stringify({
      title: `Stampede ${runId}`,
      description: "Created by loadtest/stampede.js",
      priceCents: 1000,
      quantity: QUANTITY,
      startsAt: new Date().toISOString(),
      maxPerFan: 1,
    }),
    {
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${SELLER_KEY}` },
      tags: { name: "create" },
    },
  );
  const body = jsonOf(res);
  if (res.status !== 201 || !body.drop) {
    throw new Error(`stampede: could not create a drop with SELLER_KEY at ${BASE_URL}: ${describe(res)}`);
  }
  return body.drop;
}

/** Waits out a short gap between our clock and the server's; refuses a drop that is far from live. */
function untilLive(/** @type {any} */ drop) {
  if (drop.status !== "upcoming") return drop;
  const waitMs = Date.parse(drop.startsAt) - Date.parse(drop.serverTime);
  if (!(waitMs <= MAX_WAIT_FOR_LIVE_S * 1000)) {
    throw new Error(`stampede: drop "${drop.slug}" is not live until ${drop.startsAt}; pick a live drop`);
  }
  sleep(waitMs / 1000 + 0.2);
  const again = getDrop(drop.id);
  if (again.status === "upcoming") throw new Error(`stampede: drop "${drop.slug}" is still not live`);
  return again;
}

/** @returns {Run} */
export function setup() {
  if (!SELLER_KEY && !DROP) {
    throw new Error(
      "stampede: nothing to stampede. Set SELLER_KEY (an API key; a fresh drop of QUANTITY units is made) " +
        "or DROP (id or slug of a live drop), e.g. SELLER_KEY=sk_... k6 run loadtest/stampede.js",
    );
  }
  const runId = Math.random().toString(36).slice(2, 10);
  const drop = untilLive(DROP ? getDrop(DROP) : getDrop(createDrop(runId).id));
  if (DROP && SELLER_KEY) {
    const res = getAudit(drop.id);
    if (res.status !== 200) {
      throw new Error(
        `stampede: SELLER_KEY cannot audit drop "${DROP}" (is it the owner's key?): ${describe(res)}`,
      );
    }
  }
  if (drop.status === "sold_out") console.warn(`stampede: drop "${drop.slug}" is already sold out`);
  if (ATTEMPTS < drop.remaining) {
    console.warn(`stampede: ${ATTEMPTS} attempts cannot sell the ${drop.remaining} units left; set ATTEMPTS`);
  }
  // Every counter reports, even at zero, so thresholds and the receipt never look at a missing metric.
  for (const name of Object.keys(outcomes)) outcomes[/** @type {Outcome} */ (name)].add(0);
  unexpectedErrors.add(0);
  invariantBreaches.add(0);
  audit.soldBefore.add(drop.quantity - drop.remaining);
  console.log(
    `stampede: ${ATTEMPTS} attempts by ${VUS} VUs on drop ${drop.slug} (${drop.remaining}/${drop.quantity} left) at ${BASE_URL}`,
  );
  return {
    ref: drop.id,
    slug: drop.slug,
    runId: runId,
    quantity: drop.quantity,
    remainingAtStart: drop.remaining,
    canAudit: SELLER_KEY !== "",
  };
}

/** @param {import("k6/http").RefinedResponse<any>} res @returns {Outcome} */
export function outcomeOf(res) {
  if (res.status === 201) {
    const order = jsonOf(res).order || {};
    return typeof order.unitNo === "number" ? "won" : "error";
  }
  if (res.status === 200) return "replay";
  if (res.status === 503) return "busy";
  if (res.status === 409) {
    const error = jsonOf(res).error;
    const code = error ? error.code : "";
    if (code === "sold_out" || code === "not_live" || code === "limit_reached") return code;
    return "invalid";
  }
  if (res.status >= 400 && res.status < 500) return "invalid";
  return "error";
}

let reportedUnexpected = 0;

/** One fan, one attempt, never seen before. @param {Run} run */
export default function (run) {
  const attempt = exec.scenario.iterationInTest;
  const idempotencyKey = `${run.runId}-${attempt}`;
  const res = http.post(
    url(`/api/drops/${run.ref}/purchase`),
    JSON.stringify({ fan: `fan-${attempt}-${run.runId}`, idempotencyKey: idempotencyKey }),
    {
      headers: { "Content-Type": "application/json", "Idempotency-Key": idempotencyKey },
      tags: { name: "purchase" },
    },
  );
  const outcome = outcomeOf(res);
  const tags = { outcome: outcome };
  outcomes[outcome].add(1, tags);
  if (outcome === "won") winLatency.add(res.timings.duration, tags);
  else if (outcome === "busy") busyLatency.add(res.timings.duration, tags);
  else if (outcome !== "error") rejectionLatency.add(res.timings.duration, tags);
  if (UNEXPECTED.indexOf(outcome) >= 0) {
    unexpectedErrors.add(1, tags);
    // A handful per VU is enough to diagnose; thousands would bury the receipt.
    if (reportedUnexpected++ < 3) console.warn(`stampede: unexpected ${outcome}: ${describe(res)}`);
  }
}

/** @param {Run} run @returns {StockReport} */
function stockReport(run) {
  if (run.canAudit) {
    const res = getAudit(run.ref);
    const body = jsonOf(res);
    if (res.status !== 200 || typeof body.sold !== "number") {
      throw new Error(`stampede: audit failed: ${describe(res)}`);
    }
    return {
      audited: true,
      quantity: body.quantity,
      sold: body.sold,
      remaining: body.remaining,
      oversold: body.oversold,
      duplicateUnits: body.duplicateUnits,
      unitsOutOfRange: body.unitsOutOfRange,
    };
  }
  console.warn("stampede: no SELLER_KEY, so the audit was not available; checking the public stock only");
  const drop = getDrop(run.ref);
  const sold = drop.quantity - drop.remaining;
  return {
    audited: false,
    quantity: drop.quantity,
    sold: sold,
    remaining: drop.remaining,
    oversold: Math.max(0, sold - drop.quantity),
    duplicateUnits: -1,
    unitsOutOfRange: -1,
  };
}

/** The invariants the run exists to prove, each broken one in words. @param {Run} run @param {StockReport} stock */
export function breachesOf(run, stock) {
  /** @type {string[]} */
  const breaches = [];
  if (stock.oversold > 0 || stock.sold > stock.quantity) {
    breaches.push(`oversold: ${stock.sold} sold of ${stock.quantity} (oversold ${stock.oversold})`);
  }
  if (stock.duplicateUnits > 0) breaches.push(`${stock.duplicateUnits} units sold twice`);
  if (stock.unitsOutOfRange > 0) breaches.push(`${stock.unitsOutOfRange} unit numbers outside 1..quantity`);
  if (ATTEMPTS >= run.remainingAtStart && stock.sold !== stock.quantity) {
    breaches.push(`${ATTEMPTS} attempts for ${run.remainingAtStart} units, yet only ${stock.sold} sold`);
  }
  return breaches;
}

/** @param {Run} run */
export function teardown(run) {
  /** @type {StockReport} */
  let stock;
  try {
    stock = stockReport(run);
  } catch (error) {
    invariantBreaches.add(1, { breach: "audit_unreadable" });
    throw error;
  }
  audit.available.add(stock.audited ? 1 : 0);
  audit.quantity.add(stock.quantity);
  audit.sold.add(stock.sold);
  audit.remaining.add(stock.remaining);
  audit.oversold.add(stock.oversold);
  if (stock.audited) {
    audit.duplicateUnits.add(stock.duplicateUnits);
    audit.unitsOutOfRange.add(stock.unitsOutOfRange);
  }
  const breaches = breachesOf(run, stock);
  for (const breach of breaches) invariantBreaches.add(1, { breach: breach });
  const line = `sold ${stock.sold}/${stock.quantity}, remaining ${stock.remaining}, oversold ${stock.oversold}`;
  if (breaches.length > 0) {
    // Throwing fails the run on k6 releases that turn teardown errors into an exit code; the threshold on
    // invariant_breaches covers the rest.
    throw new Error(`stampede: INVARIANT BROKEN on drop ${run.slug}: ${breaches.join("; ")} (${line})`);
  }
  console.log(`stampede: audit ${stock.audited ? "ok" : "not available, public stock ok"}: ${line}`);
}

/**
 * The part of k6's end-of-test data the receipt reads.
 * @typedef {object} SummaryData
 * @property {Record<string, {values: Record<string, number>, thresholds?: Record<string, {ok: boolean}>}>} metrics
 * @property {{testRunDurationMs: number}} state
 * @property {Run} [setup_data] present from k6 v0.35 on
 */

/** @param {SummaryData} data @param {string} name @param {string} key @returns {number | null} */
function stat(data, name, key) {
  const metric = data.metrics[name];
  if (!metric || typeof metric.values[key] !== "number") return null;
  return metric.values[key];
}

/** @param {SummaryData} data @param {string} name */
function count(data, name) {
  const value = stat(data, name, "count");
  return value === null ? 0 : value;
}

/** @param {number | null} ms */
function millis(ms) {
  return ms === null ? "n/a" : `${ms.toFixed(1)} ms`;
}

/** Everything the run proved, as plain numbers. @param {SummaryData} data */
export function receiptOf(data) {
  const attempts = Object.keys(outcomes).reduce((sum, name) => sum + count(data, `purchase_${name}`), 0);
  const durationS = data.state.testRunDurationMs / 1000;
  const sold = stat(data, "audit_sold", "value");
  const soldBefore = stat(data, "audit_sold_before", "value");
  const won = count(data, "purchase_won");
  /** @type {string[]} */
  const failedThresholds = [];
  for (const name of Object.keys(data.metrics)) {
    const checks = data.metrics[name].thresholds || {};
    for (const expression of Object.keys(checks)) {
      if (!checks[expression].ok) failedThresholds.push(`${name} ${expression}`);
    }
  }
  const soldThisRun = sold === null || soldBefore === null ? null : sold - soldBefore;
  return {
    verdict: failedThresholds.length === 0 && sold !== null && soldThisRun === won ? "PASS" : "FAIL",
    baseUrl: BASE_URL,
    drop: data.setup_data ? data.setup_data.slug : DROP || null,
    vus: VUS,
    attempts: attempts,
    durationSeconds: durationS,
    attemptsPerSecond: durationS > 0 ? attempts / durationS : 0,
    auditAvailable: stat(data, "audit_available", "value") === 1,
    quantity: stat(data, "audit_quantity", "value"),
    sold: sold,
    soldThisRun: soldThisRun,
    remaining: stat(data, "audit_remaining", "value"),
    oversold: stat(data, "audit_oversold", "value"),
    duplicateUnits: stat(data, "audit_duplicate_units", "value"),
    unitsOutOfRange: stat(data, "audit_units_out_of_range", "value"),
    won: won,
    soldOut: count(data, "purchase_sold_out"),
    busy: count(data, "purchase_busy"),
    replay: count(data, "purchase_replay"),
    notLive: count(data, "purchase_not_live"),
    limitReached: count(data, "purchase_limit_reached"),
    invalid: count(data, "purchase_invalid"),
    errors: count(data, "purchase_error"),
    invariantBreaches: count(data, "invariant_breaches"),
    latencyMs: {
      win: { p50: stat(data, "win_latency", "med"), p99: stat(data, "win_latency", "p(99)") },
      rejection: {
        p50: stat(data, "rejection_latency", "med"),
        p99: stat(data, "rejection_latency", "p(99)"),
      },
      busy: { p50: stat(data, "busy_latency", "med"), p99: stat(data, "busy_latency", "p(99)") },
    },
    failedThresholds: failedThresholds,
  };
}

/** @param {ReturnType<typeof receiptOf>} r */
function receiptText(r) {
  /** @param {number | null} n */
  const shown = (n) => (n === null || n < 0 ? "n/a" : String(n));
  const invariants = r.auditAvailable
    ? `oversold ${shown(r.oversold)}, duplicate units ${shown(r.duplicateUnits)}, units out of range ${shown(r.unitsOutOfRange)}`
    : `oversold ${shown(r.oversold)} (audit not available without SELLER_KEY: public stock only)`;
  const lines = [
    "",
    `Dropfront stampede receipt: ${r.verdict}`,
    `  target          ${r.baseUrl}, drop ${r.drop || "n/a"}`,
    `  attempts        ${r.attempts} by ${r.vus} VUs in ${r.durationSeconds.toFixed(1)} s (${r.attemptsPerSecond.toFixed(1)}/s)`,
    `  stock           quantity ${shown(r.quantity)}, sold ${shown(r.sold)} (this run ${shown(r.soldThisRun)}), remaining ${shown(r.remaining)}`,
    `  invariants      ${invariants}`,
    `  acknowledged    ${r.won} wins for ${shown(r.soldThisRun)} units sold this run${r.won === r.soldThisRun ? "" : "  <-- MISMATCH"}`,
    `  outcomes        won ${r.won}, sold out ${r.soldOut}, busy ${r.busy}, errors ${r.errors}`,
    `  unexpected      replay ${r.replay}, not live ${r.notLive}, limit reached ${r.limitReached}, invalid ${r.invalid}`,
    `  win latency     p50 ${millis(r.latencyMs.win.p50)}, p99 ${millis(r.latencyMs.win.p99)}`,
    `  reject latency  p50 ${millis(r.latencyMs.rejection.p50)}, p99 ${millis(r.latencyMs.rejection.p99)}`,
    `  busy latency    p50 ${millis(r.latencyMs.busy.p50)}, p99 ${millis(r.latencyMs.busy.p99)}`,
    `  thresholds      ${r.failedThresholds.length === 0 ? "all passed" : `FAILED: ${r.failedThresholds.join("; ")}`}`,
    "",
  ];
  return lines.join("\n");
}

/** Replaces k6's summary with the receipt; SUMMARY_JSON=path also writes it as JSON. @param {SummaryData} data */
export function handleSummary(data) {
  const receipt = receiptOf(data);
  /** @type {Record<string, string>} */
  const files = { stdout: receiptText(receipt) };
  if (SUMMARY_JSON) files[SUMMARY_JSON] = `${JSON.stringify(receipt, null, 2)}\n`;
  return files;
}
