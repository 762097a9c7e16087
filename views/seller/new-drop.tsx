import type { DropImage } from "../../src/domain/catalog/images";
import { Layout } from "../layout";
import { CheckoutFields, DEFAULT_HOLD_MINUTES, VerifiedFansField } from "./checkout-fields";
import { PictureField } from "./drop-images-card";
import { CsrfField, Field, type FieldErrors, FieldMessages, FormProblem, type FormValues } from "./fields";
import { SaleFields } from "./sale-fields";
import type { SellerShell } from "./shell";
import { VariantFields, variantRowCount } from "./variant-rows";

export interface NewDropProps extends SellerShell {
  values: FormValues;
  errors: FieldErrors;
  /** The zones offered for the go-live time, first one the default. */
  timeZones: readonly string[];
  /** A blank form (not one sent back with errors): the browser may fill in its own time zone. */
  fresh: boolean;
  /** Size rows to show (see variant-rows.tsx); absent: as many as are filled in, at least three. */
  variantRows?: number | undefined;
  /** The picture chosen on an earlier try, kept by the server; its id is `values.pendingPicture`. */
  picture?: DropImage | undefined;
}

/**
 * Fresh form defaults: one unit per fan, priced in US dollars, instant orders (a 10-minute hold offered),
 * go-live in UTC until the browser says otherwise.
 */
export const NEW_DROP_DEFAULTS: FormValues = {
  currency: "USD",
  maxPerFan: "1",
  timeZone: "UTC",
  holdMode: "instant",
  holdMinutes: DEFAULT_HOLD_MINUTES,
};

/**
 * The zones offered, grouped by region ("Europe" › "Berlin") so ~400 ids read as a short list of
 * regions; the chosen zone (and UTC) first, outside the groups. An alias the browser sent stays selected.
 */
function ZoneOptions({ zones, zone }: { zones: readonly string[]; zone: string }) {
  const groups = new Map<string, string[]>();
  for (const name of zones) {
    if (name === zone || name === "UTC" || !name.includes("/")) continue;
    const region = name.slice(0, name.indexOf("/"));
    groups.set(region, [...(groups.get(region) ?? []), name]);
  }
  const place = (name: string) =>
    name
      .slice(name.indexOf("/") + 1)
      .replace(/_/g, " ")
      .replace(/\//g, " › ");
  return (
    <>
      <option value={zone} selected>
        {zone}
      </option>
      {zone === "UTC" ? null : <option value="UTC">UTC</option>}
      {[...groups].map(([region, names]) => (
        <optgroup label={region}>
          {names.map((name) => (
            <option value={name}>{place(name)}</option>
          ))}
        </optgroup>
      ))}
    </>
  );
}

/**
 * The drop's fields, shared by the new-drop and edit forms. `fixed` leaves out the terms a live drop can no
 * longer change (price, currency, quantity, go-live, the orders mode); `checkout` says which mode it has.
 */
export function DropFields(props: {
  values: FormValues;
  errors: FieldErrors;
  timeZones: readonly string[];
  fresh: boolean;
  fixed?: boolean;
  checkout?: boolean;
  /** The new-drop form: first come or draw is chosen once, at creation (docs/draws.md). */
  saleChoice?: boolean;
  /** Offer "ask buyers for a shipping address" (the new-drop form: it is chosen when the drop is made). */
  shipping?: boolean;
  /** The form has size rows (a new drop): the units are then their sum. */
  sizes?: boolean;
}) {
  const { values, errors } = props;
  const zone = values.timeZone ?? "UTC";
  return (
    <>
      <Field name="title" label="Title" values={values} errors={errors} required maxlength={120} />
      <div class="field">
        <label for="description">Description</label>
        <textarea
          id="description"
          name="description"
          rows={4}
          maxlength={5000}
          aria-invalid={errors.description ? "true" : undefined}
          aria-describedby={errors.description ? "description-error" : undefined}
        >
          {values.description ?? ""}
        </textarea>
        <FieldMessages name="description" error={errors.description} />
      </div>
      {props.fixed ? null : (
        <div class="row">
          <Field
            name="price"
            label="Price"
            values={values}
            errors={errors}
            required
            inputmode="decimal"
            placeholder="25.00"
            hint="Per unit, e.g. 25.00 or 25,00"
          />
          <Field
            name="currency"
            label="Currency"
            values={values}
            errors={errors}
            required
            maxlength={3}
            hint="3 letters, e.g. USD"
          />
        </div>
      )}
      <div class="row">
        {props.fixed ? null : (
          <Field
            name="quantity"
            label="Units for sale"
            type="number"
            min="1"
            values={values}
            errors={errors}
            hint={props.sizes ? "With sizes below, their sum: leave this empty" : undefined}
          />
        )}
        <Field
          name="maxPerFan"
          label="Limit per fan"
          type="number"
          min="1"
          values={values}
          errors={errors}
          required
        />
      </div>
      <CheckoutFields
        values={values}
        errors={errors}
        live={props.fixed ? (props.checkout ? "checkout" : "instant") : undefined}
      />
      {props.saleChoice ? <SaleFields values={values} errors={errors} /> : null}
      <VerifiedFansField values={values} fixed={props.fixed} error={errors.verifiedFans} />
      {props.shipping ? (
        <div class="field">
          <label class="check" for="collectShipping">
            <input
              type="checkbox"
              name="collectShipping"
              id="collectShipping"
              value="on"
              checked={values.collectShipping === "on"}
              aria-describedby="collectShipping-hint"
            />{" "}
            Ask buyers for a shipping address
          </label>
          <p class="hint" id="collectShipping-hint">
            With checkout it is asked with the payment; with instant orders the receipt asks for it.
          </p>
        </div>
      ) : null}
      {props.fixed ? null : (
        <fieldset class="go-live">
          <legend>Go-live</legend>
          <div class="row">
            <Field
              name="startsAt"
              label="Date and time"
              type="datetime-local"
              values={values}
              errors={errors}
              hint="Local time in the time zone selected with it."
            />
            <div class="field">
              <label for="timeZone">Time zone</label>
              <select
                id="timeZone"
                name="timeZone"
                data-detect-zone={props.fresh ? "true" : undefined}
                aria-invalid={errors.timeZone ? "true" : undefined}
                aria-describedby={errors.timeZone ? "timeZone-error" : undefined}
              >
                <ZoneOptions zones={props.timeZones} zone={zone} />
              </select>
              <FieldMessages name="timeZone" error={errors.timeZone} />
            </div>
          </div>
          <label class="check">
            <input
              type="checkbox"
              name="goLiveNow"
              id="goLiveNow"
              value="on"
              checked={values.goLiveNow === "on"}
            />
            Go live now (the date and time above are ignored)
          </label>
        </fieldset>
      )}
    </>
  );
}

/** "Please fix the 2 fields marked below." */
export function FixFieldsProblem(props: { errors: FieldErrors }) {
  const problems = Object.keys(props.errors).length;
  return (
    <FormProblem
      message={
        problems
          ? `Please fix ${problems === 1 ? "the field" : `the ${problems} fields`} marked below.`
          : undefined
      }
    />
  );
}

export function NewDropPage(props: NewDropProps) {
  return (
    <Layout
      title="New drop"
      sellerName={props.sellerName}
      csrfToken={props.csrfToken}
      scripts={["dashboard.js"]}
    >
      <div class="narrow">
        <p class="crumbs">
          <a href="/seller/drops">Drops</a> / New drop
        </p>
        <h1>New drop</h1>
        <FixFieldsProblem errors={props.errors} />
        <form
          method="post"
          action="/seller/drops"
          class="card"
          id="new-drop-form"
          enctype="multipart/form-data"
          novalidate
        >
          {/*
            Enter in a field presses the form's first submit button: this one, so it creates the drop rather
            than "Add a size" (a submit button too, for browsers without JavaScript). Hidden from sight and from
            the tab order; the visible "Create drop" below is the one people and screen readers use.
          */}
          <button type="submit" hidden>
            Create drop
          </button>
          <CsrfField token={props.csrfToken} />
          {/* The product first, as fans will see it: the picture leads the form. */}
          <PictureField
            label="Picture (optional)"
            error={props.errors.image}
            hint="JPEG, PNG or WebP, up to 8 MB. More can be added on the drop's page."
            kept={
              props.picture && props.values.pendingPicture
                ? { id: props.values.pendingPicture, image: props.picture }
                : undefined
            }
          />
          <DropFields
            values={props.values}
            errors={props.errors}
            timeZones={props.timeZones}
            fresh={props.fresh}
            saleChoice
            shipping
            sizes
          />
          <VariantFields
            values={props.values}
            errors={props.errors}
            rows={props.variantRows ?? variantRowCount(props.values, 0)}
          />
          <button type="submit" id="create-drop" data-pending-label="Creating…">
            Create drop
          </button>
        </form>
      </div>
    </Layout>
  );
}
