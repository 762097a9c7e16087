import type { FieldErrors, FormValues } from "./fields";

/** Rows shown on a fresh form; "Add a size" adds one more (with htmx in place, without JS by a re-post). */
export const FIRST_VARIANT_ROWS = 3;
export const MAX_VARIANT_ROWS = 20;

/** How many rows the form shows: every row filled in, plus `extra` blank ones, within 1..20. */
export function variantRowCount(values: FormValues, extra: number): number {
  let filled = 0;
  for (let i = 0; i < MAX_VARIANT_ROWS; i++) {
    if (values[`variantName${i}`] || values[`variantQuantity${i}`] || values[`variantPrice${i}`])
      filled = i + 1;
  }
  return Math.min(MAX_VARIANT_ROWS, Math.max(FIRST_VARIANT_ROWS, filled) + extra);
}

/** One size (variant) row: its name, units and, optionally, its own price. */
export function VariantRow(props: { index: number; values: FormValues; errors: FieldErrors }) {
  const { index: i, values, errors } = props;
  const error = errors[`variant${i}`];
  const input = (name: string, label: string, extra: Record<string, string>) => (
    <div class="field">
      <label for={`${name}${i}`}>
        {label} <span class="visually-hidden">(size {i + 1})</span>
      </label>
      <input
        id={`${name}${i}`}
        name={`${name}${i}`}
        type="text"
        value={values[`${name}${i}`] ?? ""}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={error ? `variant${i}-error` : undefined}
        {...extra}
      />
    </div>
  );
  return (
    <div class="variant-row" id={`variant-row-${i}`}>
      <div class="row">
        {input("variantName", "Size or colour", { maxlength: "40", placeholder: i === 0 ? "S" : "" })}
        {input("variantQuantity", "Units", { inputmode: "numeric" })}
        {input("variantPrice", "Own price (optional)", { inputmode: "decimal" })}
      </div>
      {error ? (
        <p class="field-error" id={`variant${i}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/**
 * "Add a size": with htmx it fetches row `next` and appends it, and the answer replaces this button with one
 * for the row after (out of band); without JS it re-posts the form, which comes back with one more row.
 */
export function AddVariantButton(props: { next: number; oob?: boolean }) {
  if (props.next >= MAX_VARIANT_ROWS)
    return <span id="add-variant" {...(props.oob ? { "hx-swap-oob": "true" } : {})} />;
  return (
    <button
      id="add-variant"
      type="submit"
      class="secondary"
      name="intent"
      value="add-variant"
      formnovalidate
      hx-get={`/seller/drops/variant-row?index=${props.next}`}
      hx-target="#variant-rows"
      hx-swap="beforeend"
      {...(props.oob ? { "hx-swap-oob": "true" } : {})}
    >
      Add a size
    </button>
  );
}

/**
 * The new-drop form's sizes: leave them empty to sell one kind of unit; fill in rows to sell each size
 * exactly on its own (the drop's units are then their sum). "Add a size" works with htmx (a row is
 * appended in place) and without JS (the form comes back with one more row).
 */
export function VariantFields(props: { values: FormValues; errors: FieldErrors; rows: number }) {
  const rows = Array.from({ length: props.rows }, (_, i) => i);
  return (
    <fieldset class="variants" id="variants">
      <legend>Sizes or colours (optional)</legend>
      <p class="hint" id="variants-hint">
        Each size sells exactly its own units; the drop's units are their sum. Leave empty to sell one kind.
      </p>
      {props.errors.variants ? (
        <p class="field-error" id="variants-error">
          {props.errors.variants}
        </p>
      ) : null}
      <div id="variant-rows">
        {rows.map((i) => (
          <VariantRow index={i} values={props.values} errors={props.errors} />
        ))}
      </div>
      <AddVariantButton next={props.rows} />
    </fieldset>
  );
}
