import type { Drop } from "../../src/domain/types";
import { Layout } from "../layout";
import { DEFAULT_HOLD_MINUTES } from "./checkout-fields";
import { CsrfField, type FieldErrors, type FormValues } from "./fields";
import { formatMoney, formatNumber } from "./format";
import { DropFields, FixFieldsProblem } from "./new-drop";
import type { SellerShell } from "./shell";

export interface EditDropProps extends SellerShell {
  drop: Drop;
  /** Go-live has come: price, currency, quantity, go-live and the orders mode are fixed and left off the form. */
  live: boolean;
  values: FormValues;
  errors: FieldErrors;
  timeZones: readonly string[];
}

/** The form's values for a drop as it is now; go-live is shown in UTC (the seller may pick another zone). */
export function editValuesOf(drop: Drop): FormValues {
  return {
    title: drop.title,
    description: drop.description,
    price: (drop.priceCents / 100).toFixed(2),
    currency: drop.currency,
    quantity: String(drop.quantity),
    maxPerFan: String(drop.maxPerFan),
    startsAt: drop.startsAt.toISOString().slice(0, 16),
    timeZone: "UTC",
    holdMode: drop.holdSeconds > 0 ? "hold" : "instant",
    // Holds are set in whole minutes; one made shorter (tests, the shop directly) shows as at least 1.
    holdMinutes:
      drop.holdSeconds > 0 ? String(Math.max(1, Math.round(drop.holdSeconds / 60))) : DEFAULT_HOLD_MINUTES,
    verifiedFans: drop.verifiedFans ? "on" : "",
  };
}

export function EditDropPage(props: EditDropProps) {
  const { drop } = props;
  const base = `/seller/drops/${drop.slug}`;
  return (
    <Layout
      title={`Edit ${drop.title}`}
      sellerName={props.sellerName}
      csrfToken={props.csrfToken}
      scripts={["dashboard.js"]}
    >
      <div class="narrow">
        <p class="crumbs">
          <a href="/seller/drops">Drops</a> / <a href={base}>{drop.title}</a> / Edit
        </p>
        <h1>Edit drop</h1>
        {props.live ? (
          <p class="notice warn" id="fixed-terms">
            This drop is live: its price ({formatMoney(drop.priceCents, drop.currency)}), its{" "}
            {formatNumber(drop.quantity)} units, its go-live and its{" "}
            {drop.holdSeconds > 0 ? "checkout with a hold" : "instant orders"} are fixed. Pause it from the
            dashboard if something is wrong.
          </p>
        ) : null}
        <FixFieldsProblem errors={props.errors} />
        <form method="post" action={`${base}/edit`} class="card" id="edit-drop-form" novalidate>
          <CsrfField token={props.csrfToken} />
          <DropFields
            values={props.values}
            errors={props.errors}
            timeZones={props.timeZones}
            fresh={false}
            fixed={props.live}
            checkout={drop.holdSeconds > 0}
          />
          <div class="actions">
            <button type="submit" data-pending-label="Saving…">
              Save changes
            </button>
            <a href={base} class="button secondary">
              Back to the dashboard
            </a>
          </div>
        </form>
      </div>
    </Layout>
  );
}
