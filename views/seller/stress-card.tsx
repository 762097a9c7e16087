import type { StressLimits } from "../../src/domain/stress-test/stress-limits";
import type { StressTest } from "../../src/domain/stress-test/stress-test";
import type { Drop } from "../../src/domain/types";
import type { StressTestStatus } from "../../src/repository";
import { Layout } from "../layout";
import { CsrfField, Field, type FieldErrors, FieldMessages, FormProblem, type FormValues } from "./fields";
import { formatUtcMinute } from "./format";
import type { SellerShell } from "./shell";

export const STRESS_STATUS_LABEL: Record<StressTestStatus, string> = {
  running: "Running",
  passed: "Passed",
  failed: "Failed",
  cancelled: "Cancelled",
  interrupted: "Interrupted",
};

export const stressBase = (drop: Drop) => `/seller/drops/${drop.slug}/stress`;

/** What the Stress Test card shows: the form (with a failed submit's values and errors) and past runs. */
export interface StressCardProps {
  drop: Drop;
  tests: StressTest[];
  values: FormValues;
  errors: FieldErrors;
  csrfToken: string;
  /** This server's limits, shown beside the fields (the server enforces them either way). */
  limits?: StressLimits | undefined;
  /** The drop sells by draw: the Stress Test rehearses the draw (docs/stress-test.md). */
  draw?: boolean | undefined;
}

const number = (n: number) => n.toLocaleString("en-US");

/** "PASS", "FAIL", or the status when the run has no receipt to judge by. */
export function verdictOf(test: StressTest): string {
  if (test.status === "running" || test.status === "interrupted" || !test.receipt) {
    return STRESS_STATUS_LABEL[test.status];
  }
  const verdict = test.receipt.verdict;
  return test.status === "cancelled" ? `Cancelled (${verdict})` : verdict;
}

export const verdictClass = (test: StressTest) =>
  test.status === "running"
    ? "upcoming"
    : test.receipt?.verdict === "PASS" && test.status !== "interrupted"
      ? "live"
      : "sold_out";

export function StressTestForm(props: Omit<StressCardProps, "tests">) {
  const { drop, values, errors, limits } = props;
  return (
    <form method="post" action={stressBase(drop)} id="stress-form" novalidate>
      <CsrfField token={props.csrfToken} />
      <div class="row">
        <Field
          name="attempts"
          label="Purchase attempts"
          type="number"
          min="1"
          inputmode="numeric"
          values={values}
          errors={errors}
          required
          hint={`Each one a new fan buying over HTTP.${limits ? ` Up to ${number(limits.maxAttempts)} on this server.` : ""}`}
        />
        <Field
          name="concurrency"
          label="At the same time"
          type="number"
          min="1"
          inputmode="numeric"
          values={values}
          errors={errors}
          required
          hint={`Purchases in flight at once${limits ? `, 1 to ${number(limits.maxConcurrency)}` : ""}.`}
        />
      </div>
      <fieldset class="orders-mode" id="stress-pace">
        <legend>Pace</legend>
        <label class="check">
          <input type="radio" name="pace" value="watch" checked={values.pace !== "fast"} />
          Watchable: the fans arrive over about 15 seconds, so you can follow the race
        </label>
        <label class="check">
          <input type="radio" name="pace" value="fast" checked={values.pace === "fast"} />
          Flat out: every fan at once, as fast as the server answers
        </label>
        <FieldMessages name="pace" error={errors.pace} />
      </fieldset>
      <button type="submit" id="stress-start">
        Start Stress Test
      </button>
    </form>
  );
}

/** Sold units, or on a checkout rehearsal the units paid in the end. */
const soldCell = (r: NonNullable<StressTest["receipt"]>) =>
  r.checkout ? `${number(r.checkout.paid)} of ${number(r.quantity)} paid` : `${r.sold} of ${r.quantity}`;

/** Past runs of this drop, newest first, each linking to its receipt. */
export function StressTestList({ drop, tests }: { drop: Drop; tests: StressTest[] }) {
  if (tests.length === 0) return <p id="stress-none">No Stress Tests yet.</p>;
  return (
    <section class="table-wrap" tabindex={0} aria-label="Stress Test receipts">
      <table id="stress-tests">
        <caption class="visually-hidden">Stress Test receipts, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Started (UTC)</th>
            <th scope="col">Verdict</th>
            <th scope="col">Sold</th>
            <th scope="col">Oversold</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {tests.map((test) => (
            <tr id={`stress-${test.id}`}>
              <td>
                <a href={`${stressBase(drop)}/${test.id}`}>{formatUtcMinute(test.createdAt)}</a>
              </td>
              <td>
                <span class={`badge ${verdictClass(test)}`}>{verdictOf(test)}</span>
              </td>
              <td>{test.receipt ? soldCell(test.receipt) : "–"}</td>
              <td>{test.receipt ? test.receipt.oversold : "–"}</td>
              <td>{test.receipt ? `${test.receipt.durationSeconds.toFixed(1)} s` : "–"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The dashboard's Stress Test card. */
export function StressTestCard(props: StressCardProps) {
  return (
    <section class="card stress-card" id="stress-test" aria-labelledby="stress-heading">
      <h2 id="stress-heading">Stress Test</h2>
      <p class="hint">
        Rehearse a stampede without touching real stock: a copy of this drop (same units, limit and price, not
        listed, not counted as revenue) is bought through the public purchase endpoint by many new fans at
        once, and the database audit writes the receipt.
      </p>
      {props.draw ? (
        <p class="hint" id="stress-draw-mode">
          This drop sells by draw, so the Stress Test rehearses the draw: the copy's fans confirm their email,
          enter, the entries close and the draw ranks them; a third of the winners never pay, so their units
          go to the next in rank, and the rest pay with the test card. The receipt says whether more units
          than there are were ever held or paid at once, and whether the copy's draw record checks out.
        </p>
      ) : props.drop.holdSeconds > 0 ? (
        <p class="hint" id="stress-checkout-mode">
          This drop holds each win for payment, so the Stress Test rehearses its checkout too: the copy holds
          wins for a few seconds; a third of the winners never pay (their holds expire and the units are sold
          again), a third release, the rest pay with the test card, some too late to be refunded. The receipt
          says whether every unit ended paid once, nobody went over the limit and no money was taken twice or
          kept.
        </p>
      ) : null}
      <StressTestForm {...props} />
      {props.limits ? (
        <p class="hint" id="stress-limits">
          Limits on this server: {number(props.limits.runsPerHour)} runs an hour and{" "}
          {number(props.limits.attemptsPerDay)} attempts a day per shop; its own live traffic always goes
          first.
        </p>
      ) : null}
      <h3>Receipts</h3>
      <StressTestList drop={props.drop} tests={props.tests} />
    </section>
  );
}

/** The Stress Test card on a page of its own: where a form with errors comes back, and a 409 explains. */
export function StressTestPage(
  props: StressCardProps & SellerShell & { problem?: string | undefined; runningId?: string | undefined },
) {
  const { drop } = props;
  const problems = Object.keys(props.errors).length;
  const message =
    props.problem ??
    (problems
      ? `Please fix ${problems === 1 ? "the field" : `the ${problems} fields`} marked below.`
      : undefined);
  return (
    <Layout title={`Stress Test: ${drop.title}`} sellerName={props.sellerName} csrfToken={props.csrfToken}>
      <p class="crumbs">
        <a href="/seller/drops">Drops</a> / <a href={`/seller/drops/${drop.slug}`}>{drop.title}</a> / Stress
        Test
      </p>
      <h1>Stress Test: {drop.title}</h1>
      <FormProblem message={message} />
      {props.runningId ? (
        <p>
          <a id="running-test" href={`${stressBase(drop)}/${props.runningId}`}>
            Watch the running Stress Test
          </a>
        </p>
      ) : null}
      <StressTestCard {...props} />
    </Layout>
  );
}
