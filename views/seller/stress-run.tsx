import { raw } from "hono/html";
import type { StressTest } from "../../src/domain/stress-test/stress-test";
import {
  countsShown,
  type ProgressSnapshot,
  type TileReplay,
  tileLayout,
} from "../../src/domain/stress-test/stress-test-progress";
import type { Drop } from "../../src/domain/types";
import type { LatencySummary, Receipt } from "../../src/stampede/receipt";
import { formatReceipt, headlineOf } from "../../src/stampede/receipt";
import { Layout } from "../layout";
import { CsrfField } from "./fields";
import { formatUtcPrecise } from "./format";
import type { SellerShell } from "./shell";
import { STRESS_STATUS_LABEL, stressBase, verdictClass, verdictOf } from "./stress-card";
import { CHECKOUT_CLEAN, CheckoutReceiptSection } from "./stress-checkout";
import { DrawProgressFigures, DrawReceiptSection } from "./stress-draw";

const number = (n: number) => n.toLocaleString("en-US");
const ms = (value: number | null) => (value === null ? "n/a" : `${value.toFixed(1)} ms`);
const latency = (s: LatencySummary) => `p50 ${ms(s.p50)}, p99 ${ms(s.p99)} (${number(s.count)} answers)`;

/** The sentence screen readers hear, and the text twin of the progress bar and tiles. */
export function progressSentence(
  p: Pick<ProgressSnapshot, "counts" | "answered" | "attempts" | "checkout">,
): string {
  const c = countsShown(p.counts);
  const k = p.checkout;
  return `${number(p.answered)} of ${number(p.attempts)} attempts answered: ${number(c.won)} won, ${number(c.soldOut)} sold out, ${number(c.busy)} busy, ${number(c.errors)} errors.${k ? ` Checkout: ${number(k.paid)} paid, ${number(k.released)} released, ${number(k.refunded)} refunded.` : ""}`;
}

/** Running counts and the progress bar; stress.js keeps the numbers current, the server renders them first. */
export function StressCounts({ progress }: { progress: ProgressSnapshot }) {
  const c = countsShown(progress.counts);
  return (
    <>
      <div class="grid stats" id="stress-counts">
        <div class="stat">
          <b id="count-won">{number(c.won)}</b>
          <span>Won</span>
        </div>
        <div class="stat">
          <b id="count-sold-out">{number(c.soldOut)}</b>
          <span>Sold out</span>
        </div>
        <div class="stat">
          <b id="count-busy">{number(c.busy)}</b>
          <span>Busy</span>
        </div>
        <div class="stat">
          <b id="count-errors">{number(c.errors)}</b>
          <span>Errors</span>
        </div>
        {progress.checkout ? (
          <>
            <div class="stat">
              <b id="count-paid">{number(progress.checkout.paid)}</b>
              <span>Paid</span>
            </div>
            <div class="stat">
              <b id="count-released">{number(progress.checkout.released)}</b>
              <span>Released</span>
            </div>
            <div class="stat">
              <b id="count-refunded">{number(progress.checkout.refunded)}</b>
              <span>Refunded</span>
            </div>
          </>
        ) : null}
      </div>
      {progress.draw ? <DrawProgressFigures p={progress.draw} /> : null}
      <progress
        id="stress-progress"
        max={progress.attempts}
        value={progress.answered}
        aria-describedby="stress-answered"
      >
        {progress.answered} of {progress.attempts}
      </progress>
      <p id="stress-answered" class="hint">
        {progressSentence(progress)}
      </p>
    </>
  );
}

/** "0.4 s", "3.1 s", "2m 05s": how long the run took, in a seller's words. */
const took = (seconds: number) =>
  seconds < 60
    ? `${seconds.toFixed(1)} s`
    : `${Math.floor(seconds / 60)}m ${String(Math.round(seconds % 60)).padStart(2, "0")}s`;

/** "1 attempt per second", "340 attempts per second". */
const perSecond = (rate: number) => {
  const whole = Math.round(rate);
  return `${number(whole)} ${whole === 1 ? "attempt" : "attempts"} per second`;
};

/** The database, as a seller would name it: the embedded one, or a PostgreSQL-compatible server. */
const databaseName = (backend: string) =>
  backend.startsWith("pglite")
    ? "The built-in database"
    : backend.startsWith("dsql")
      ? "Aurora DSQL"
      : "PostgreSQL";

/**
 * The verdict in a seller's words: exact or not first; the server's health (latency percentiles and the
 * like, which say how it coped, not whether it sold exactly) as one plain clause, its figures in the details.
 */
export function sellerHeadline(r: Receipt): string {
  if (r.verdict === "FAIL") return headlineOf(r);
  return (r.warnings ?? []).length === 0
    ? "Exact: every unit sold once, nothing beyond stock"
    : "Exact, though the server was slow at this load (see the engineering details)";
}

/** The headline of a run that ended without a receipt (stopped before its audit, or left behind). */
function noReceiptHeadline(test: StressTest): string {
  return test.status === "interrupted"
    ? "Interrupted: the server stopped before the audit"
    : "No receipt: the run stopped before its audit";
}

/**
 * The audit's receipt: the verdict is the headline (sold exactly, or not), then what happened in a
 * seller's words; the engineering figures (wins against order rows, latency percentiles, the database and
 * its isolation) stay one click away.
 */
export function StressReceipt({ test }: { test: StressTest }) {
  const r: Receipt | undefined = test.receipt;
  const tone = !r || r.verdict === "FAIL" ? "bad" : (r.warnings ?? []).length > 0 ? "warn" : "ok";
  return (
    <section id="stress-receipt" aria-labelledby="receipt-heading" data-status={test.status}>
      <div class={`verdict-hero ${tone}`}>
        <p class="verdict-kicker">
          Receipt ·{" "}
          <span id="stress-verdict" class={`badge ${verdictClass(test)}`}>
            {verdictOf(test)}
          </span>
        </p>
        {/* The verdict is the page's headline: exact or not, in a seller's words, in the verdict's colour. */}
        <h2 id="receipt-heading" class="verdict-headline">
          <span id="receipt-headline">{r ? sellerHeadline(r) : noReceiptHeadline(test)}</span>
        </h2>
        {r ? (
          <p class="verdict-story" id="receipt-story">
            Sold {number(r.sold)} of {number(r.quantity)} in {took(r.durationSeconds)} to {number(r.attempts)}{" "}
            simulated fans, {number(r.concurrency)} at a time.{" "}
            {r.oversold === 0 && r.duplicateUnits === 0
              ? "Nobody got a unit twice and nothing sold beyond stock."
              : "Some units were sold beyond stock or twice: see below."}
          </p>
        ) : null}
      </div>
      {test.problem ? (
        <p class="notice bad" id="stress-problem">
          {test.problem}
        </p>
      ) : null}
      {r ? (
        <>
          <dl class="facts" id="receipt-facts">
            <dt>Simulated fans</dt>
            <dd id="receipt-attempts">
              {number(r.attempts)}
              {r.cancelled ? ` of ${number(r.attemptsPlanned)} (cancelled)` : ""}, {number(r.concurrency)} at
              a time
            </dd>
            <dt>Sold</dt>
            <dd id="receipt-sold">
              {number(r.sold)} of {number(r.quantity)}
            </dd>
            <dt>Sold beyond stock</dt>
            <dd id="receipt-oversold">{number(r.oversold)}</dd>
            <dt>Units sold twice</dt>
            <dd id="receipt-duplicates">{number(r.duplicateUnits)}</dd>
            <dt>Took</dt>
            <dd id="receipt-duration">{took(r.durationSeconds)}</dd>
          </dl>
          <details class="engineering" id="receipt-engineering">
            <summary>Engineering details</summary>
            <dl class="facts">
              <dt>Acknowledged wins</dt>
              <dd id="receipt-wins">
                {number(r.acknowledgedWins)} wins, {number(r.orderRows)} order rows
                {r.acknowledgedWithoutOrderRow > 0
                  ? `, ${number(r.acknowledgedWithoutOrderRow)} without a row`
                  : ""}
              </dd>
              <dt>Unanswered</dt>
              <dd id="receipt-unanswered">
                {number(r.timeouts ?? 0)} timed out, {number(r.counts.error - (r.timeouts ?? 0))} other errors
                {r.abandoned ? `, ${number(r.abandoned)} cut off by the cancel` : ""}
              </dd>
              <dt>Win latency</dt>
              <dd id="receipt-win-latency">{latency(r.latencyMs.win)}</dd>
              <dt>Rejection latency</dt>
              <dd id="receipt-rejection-latency">{latency(r.latencyMs.rejection)}</dd>
              <dt>Throughput</dt>
              <dd id="receipt-throughput">{perSecond(r.attemptsPerSecond)}</dd>
              <dt>Database</dt>
              <dd id="receipt-backend">
                {databaseName(r.backend)} ({r.backend})
              </dd>
              {(r.warnings ?? []).length > 0 ? (
                <>
                  <dt>Health warnings</dt>
                  <dd>
                    <ul id="receipt-warnings">
                      {(r.warnings ?? []).map((warning) => (
                        <li>{warning}</li>
                      ))}
                    </ul>
                  </dd>
                </>
              ) : null}
            </dl>
          </details>
          {r.draw ? <DrawReceiptSection d={r.draw} /> : null}
          {r.checkout ? <CheckoutReceiptSection c={r.checkout} /> : null}
          {test.replay ? (
            <TileReplaySection replay={test.replay} seconds={r.durationSeconds} checkout={!!r.checkout} />
          ) : null}
          {r.breaches.length > 0 ? (
            <>
              <h3>Invariants broken</h3>
              <ul id="receipt-breaches">
                {r.breaches.map((breach) => (
                  <li>{breach}</li>
                ))}
              </ul>
            </>
          ) : (
            <p class="notice ok" id="receipt-clean">
              {r.checkout
                ? CHECKOUT_CLEAN
                : "The database sold exactly what it had: nothing oversold, no unit twice, every win has its order."}
            </p>
          )}
          <details>
            <summary>Full receipt as text</summary>
            <pre class="mono receipt-text">{formatReceipt(r)}</pre>
          </details>
        </>
      ) : null}
    </section>
  );
}

/**
 * The tile race, replayable: stress.js draws the finished race (each tile coloured by when it was
 * claimed) and animates it on demand from the packed claim times; the legend says what the colours mean.
 */
export function TileReplaySection({
  replay,
  seconds,
  checkout = false,
}: {
  replay: TileReplay;
  seconds: number;
  /** A checkout rehearsal: a tile lights when its unit is first held, which is not yet sold. */
  checkout?: boolean;
}) {
  return (
    <section
      id="stress-replay"
      aria-labelledby="replay-heading"
      data-quantity={replay.quantity}
      data-units-per-tile={replay.unitsPerTile}
      data-tiles={replay.tiles}
      data-first={replay.firstAtMs}
      data-full={replay.fullAtMs}
      data-claimed={replay.claimedUnits}
    >
      <h3 id="replay-heading">The race</h3>
      <p class="hint">
        One tile per {replay.unitsPerTile === 1 ? "unit" : `${number(replay.unitsPerTile)} units`}, coloured
        by when it was {checkout ? "first held" : "claimed"} during the {seconds.toFixed(1)} s run; grey tiles
        were {checkout ? "never held (the Checkout figures say which units ended paid)" : "not sold"}.
      </p>
      {/* Decorative: the receipt above says the same in words. */}
      <div aria-hidden="true">
        <canvas id="replay-tiles" hidden />
        <p id="replay-legend" hidden>
          <canvas id="replay-scale" width="160" height="12" /> <span id="replay-early">first claimed</span> →{" "}
          <span id="replay-late">last claimed</span> · unsold in grey
        </p>
      </div>
      <button type="button" id="replay-start" class="secondary" hidden>
        Replay the race
      </button>
    </section>
  );
}

export interface StressRunProps extends SellerShell {
  drop: Drop;
  test: StressTest;
  /** The run's progress when this process drives it and it is still going. */
  progress: ProgressSnapshot | undefined;
}

/**
 * One Stress Test. While it runs: the tile race (drawn by stress.js from the event stream; without
 * JavaScript the page reloads itself every 2 s and shows the counts) and a cancel button. Afterwards: the
 * receipt.
 */
export function StressRunPage(props: StressRunProps) {
  const { drop, test, progress } = props;
  const base = `${stressBase(drop)}/${test.id}`;
  const running = test.status === "running";
  const layout = tileLayout(drop.quantity);
  return (
    <Layout
      title={`Stress Test: ${drop.title}`}
      sellerName={props.sellerName}
      csrfToken={props.csrfToken}
      scripts={["stress.js"]}
    >
      {/*
        Only browsers without JavaScript read this; with it, stress.js follows the event stream instead.
        Written raw because hono/jsx hoists a <meta> element into <head>, out of the <noscript>.
      */}
      {running ? raw('<noscript><meta http-equiv="refresh" content="2"></noscript>') : null}
      <p class="crumbs">
        <a href="/seller/drops">Drops</a> / <a href={`/seller/drops/${drop.slug}`}>{drop.title}</a> / Stress
        Test
      </p>
      <h1>Stress Test: {drop.title}</h1>
      <p class="muted">
        <span id="stress-status">{STRESS_STATUS_LABEL[test.status]}</span> · {number(test.attempts)} attempts,{" "}
        {number(test.concurrency)} at a time, on a rehearsal copy of {number(drop.quantity)} units
        {drop.holdSeconds > 0 ? " with checkout" : ""} · started{" "}
        <time datetime={test.createdAt.toISOString()}>
          {formatUtcPrecise(test.createdAt).slice(0, 19)} UTC
        </time>
      </p>
      {running ? (
        <section
          id="stress-live"
          aria-label="Progress"
          data-events={`${base}/events`}
          data-quantity={drop.quantity}
          data-units-per-tile={layout.unitsPerTile}
          data-tiles={layout.tiles}
        >
          <p class="hint">
            One tile per {layout.unitsPerTile === 1 ? "unit" : `${number(layout.unitsPerTile)} units`}, lit as
            it is claimed.
          </p>
          {/* Decorative: the counts and the progress bar below say the same in words. */}
          <div aria-hidden="true">
            <canvas id="stress-tiles" hidden />
          </div>
          {progress ? (
            <StressCounts progress={progress} />
          ) : (
            <p id="stress-elsewhere">
              This run is driven by another server process; its receipt will appear here.
            </p>
          )}
          <p id="stress-announce" class="visually-hidden" aria-live="polite" />
          <form method="post" action={`${base}/cancel`} id="stress-cancel">
            <CsrfField token={props.csrfToken} />
            <button type="submit" class="secondary">
              Cancel
            </button>
          </form>
          <div id="stress-result" />
        </section>
      ) : (
        <StressReceipt test={test} />
      )}
      <p>
        <a href={`/seller/drops/${drop.slug}#stress-test`}>Back to the dashboard</a>
      </p>
    </Layout>
  );
}
