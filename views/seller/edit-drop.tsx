import type { Variant } from "../../src/domain/purchase/variants";
import type { Drop } from "../../src/domain/types";
import { Layout } from "../layout";
import { DEFAULT_HOLD_MINUTES } from "./checkout-fields";
import { CsrfField, type FieldErrors, type FormValues } from "./fields";
import { formatMoney, formatNumber } from "./format";
import { DropFields, FixFieldsProblem } from "./new-drop";
import type { SellerShell } from "./shell";
import { VariantFields, variantRowCount } from "./variant-rows";

export interface EditDropProps extends SellerShell {
  drop: Drop;
  /** Go-live has come: price, currency, quantity, go-live and the orders mode are fixed and left off the form. */
  live: boolean;
  values: FormValues;
  errors: FieldErrors;
  timeZones: readonly string[];
  /** The drop's named sizes in their order; empty for a drop of one kind of unit. */
  variants: readonly Variant[];
  /** Size rows to show before go-live (see variant-rows.tsx); absent: the filled ones, at least three. */
  variantRows?: number | undefined;
}

/** The form's values for a drop as it is now; go-live is shown in UTC (the seller may pick another zone). */
export function editValuesOf(drop: Drop, variants: readonly Variant[]): FormValues {
  const sizes: FormValues = {};
  variants.forEach((size, i) => {
    sizes[`variantName${i}`] = size.name;
    sizes[`variantQuantity${i}`] = String(size.quantity);
    if (size.priceCents !== null) sizes[`variantPrice${i}`] = (size.priceCents / 100).toFixed(2);
  });
  return {
    ...sizes,
    collectShipping: drop.collectShipping ? "on" : "",
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
            {formatNumber(drop.quantity)} units
            {props.variants.length > 0 ? " (a size may only be lowered)" : ""}, its go-live and its{" "}
            {drop.holdSeconds > 0 ? "checkout with a hold" : "instant orders"} are fixed. Pause it from the
            dashboard if something is wrong.
          </p>
        ) : null}
        <FixFieldsProblem errors={props.errors} />
        <form method="post" action={`${base}/edit`} class="card" id="edit-drop-form" novalidate>
          {/*
            Enter in a field presses the form's first submit button: this one, so it saves rather than "Add a
            size" (a submit button too, for browsers without JavaScript), as on the new-drop form.
          */}
          <button type="submit" hidden>
            Save changes
          </button>
          <CsrfField token={props.csrfToken} />
          <DropFields
            values={props.values}
            errors={props.errors}
            timeZones={props.timeZones}
            fresh={false}
            fixed={props.live}
            checkout={drop.holdSeconds > 0}
            shipping
            sizes={!props.live}
          />
          {props.live ? (
            props.variants.length > 0 ? (
              <LiveSizeFields
                variants={props.variants}
                currency={drop.currency}
                values={props.values}
                errors={props.errors}
              />
            ) : null
          ) : (
            <VariantFields
              values={props.values}
              errors={props.errors}
              rows={props.variantRows ?? variantRowCount(props.values, 0)}
            />
          )}
          <div class="actions">
            <button type="submit" id="save-drop" data-pending-label="Saving…">
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

/**
 * A live drop's sizes: each keeps its place and price; its name may change, its units may be lowered to no
 * less than it has sold, and a size without orders is removed by clearing its row (docs/variants.md).
 */
function LiveSizeFields(props: {
  variants: readonly Variant[];
  currency: string;
  values: FormValues;
  errors: FieldErrors;
}) {
  const { values, errors } = props;
  return (
    <fieldset class="variants" id="variants">
      <legend>Sizes or colours</legend>
      <p class="hint" id="variants-hint">
        The drop is live: a size's units can be lowered to what it has sold, never raised, and its price is
        fixed. Clear a size's row to stop selling it (only a size with no orders).
      </p>
      {errors.variants ? (
        <p class="field-error" id="variants-error">
          {errors.variants}
        </p>
      ) : null}
      {props.variants.map((size, i) => (
        <div class="variant-row" id={`variant-row-${i}`}>
          <div class="row">
            <div class="field">
              <label for={`variantName${i}`}>
                Size or colour <span class="visually-hidden">(size {i + 1})</span>
              </label>
              <input
                id={`variantName${i}`}
                name={`variantName${i}`}
                type="text"
                maxlength={40}
                value={values[`variantName${i}`] ?? ""}
                aria-invalid={errors[`variant${i}`] ? "true" : undefined}
                aria-describedby="variants-hint"
              />
            </div>
            <div class="field">
              <label for={`variantQuantity${i}`}>
                Units <span class="visually-hidden">(size {i + 1})</span>
              </label>
              <input
                id={`variantQuantity${i}`}
                name={`variantQuantity${i}`}
                type="text"
                inputmode="numeric"
                value={values[`variantQuantity${i}`] ?? ""}
                aria-invalid={errors[`variant${i}`] ? "true" : undefined}
                aria-describedby="variants-hint"
              />
            </div>
            <p class="field">
              Price: {size.priceCents === null ? "the drop's" : formatMoney(size.priceCents, props.currency)}
            </p>
          </div>
          {errors[`variant${i}`] ? (
            <p class="field-error" id={`variant${i}-error`}>
              {errors[`variant${i}`]}
            </p>
          ) : null}
        </div>
      ))}
    </fieldset>
  );
}
