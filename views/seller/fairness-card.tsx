import type { FairnessSummary } from "../../src/domain/fairness/summary";
import { formatNumber } from "./format";

const plural = (n: number, one: string, many: string) => `${formatNumber(n)} ${n === 1 ? one : many}`;

/** Who the drop sells to (issue 17 §5): verified buyers, and the "Email me at go-live" list. */
export function FairnessCard({ summary }: { summary: FairnessSummary }) {
  if (!summary.verifiedFans && summary.signups === 0) return null;
  return (
    <section class="card fairness" id="fairness" aria-labelledby="fairness-heading">
      <h2 id="fairness-heading">Fans</h2>
      <dl class="fairness-stats">
        {summary.verifiedFans ? (
          <div>
            <dt>Verified fans who bought</dt>
            <dd id="verified-buyers">{formatNumber(summary.buyers)}</dd>
          </div>
        ) : null}
        <div>
          <dt>Email me at go-live</dt>
          <dd id="notify-signups">
            {plural(summary.signups, "signup", "signups")}, {formatNumber(summary.confirmed)} confirmed
            {summary.notified > 0 ? `, ${formatNumber(summary.notified)} emailed at go-live` : ""}
          </dd>
        </div>
      </dl>
      {summary.verifiedFans ? (
        <p class="hint">Verified fans only: every buyer confirmed their email, one limit per address.</p>
      ) : null}
    </section>
  );
}
