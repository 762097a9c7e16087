import type { ShippingAddress } from "../../src/domain/orders";
import { COUNTRIES, countryName } from "../../src/domain/orders/countries";

/** Where the fan's order ships, as a receipt or the hold's pay form shows it. */
export interface ShippingProps {
  /** The address given so far, if any. */
  address: ShippingAddress | null;
  /** The fan may still change it (the seller has not shipped the order, and it is not refunded or cancelled). */
  editable: boolean;
  /** When the seller shipped it, and the carrier's page if they gave one. */
  shippedAt?: Date | null;
  trackingUrl?: string | null;
  /** Where the standalone form posts (the receipt's own link with /shipping). */
  action: string;
  /** What the fan typed last, and what was wrong with it, after a refused submit. */
  values?: Partial<Record<string, string>>;
  errors?: Partial<Record<string, string>>;
  /** Said above the form (e.g. "Saved"). */
  notice?: string | undefined;
}

const FIELDS = [
  { name: "name", label: "Full name", autocomplete: "shipping name", max: 100, required: true },
  { name: "line1", label: "Address", autocomplete: "shipping address-line1", max: 200, required: true },
  {
    name: "line2",
    label: "Apartment, suite (optional)",
    autocomplete: "shipping address-line2",
    max: 200,
    required: false,
  },
  { name: "city", label: "City", autocomplete: "shipping address-level2", max: 100, required: true },
  {
    name: "postalCode",
    label: "Postal code",
    autocomplete: "shipping postal-code",
    max: 12,
    required: false,
  },
] as const;

const fieldValue = (props: Pick<ShippingProps, "address" | "values">, name: string): string =>
  props.values?.[name] ?? (props.address ? String(props.address[name as keyof ShippingAddress] ?? "") : "");

/** The address inputs alone: inside the hold's pay form, or the receipt's own address form. */
export function AddressFields(props: Pick<ShippingProps, "address" | "values" | "errors">) {
  const errors = props.errors ?? {};
  const country = fieldValue(props, "country").toUpperCase();
  return (
    <fieldset class="address-fields">
      <legend>Where should we send it?</legend>
      {FIELDS.map((field) => {
        const id = `ship-${field.name}`;
        const error = errors[field.name];
        return (
          <div class="field">
            <label for={id}>{field.label}</label>
            <input
              id={id}
              name={field.name}
              type="text"
              value={fieldValue(props, field.name)}
              autocomplete={field.autocomplete}
              maxlength={field.max}
              required={field.required}
              aria-invalid={error ? "true" : undefined}
              aria-describedby={error ? `${id}-error` : undefined}
            />
            {error ? (
              <p class="field-error" id={`${id}-error`}>
                {error}
              </p>
            ) : null}
          </div>
        );
      })}
      <div class="field">
        <label for="ship-country">Country</label>
        <select
          id="ship-country"
          name="country"
          autocomplete="shipping country"
          required
          aria-invalid={errors.country ? "true" : undefined}
          aria-describedby={errors.country ? "ship-country-error" : undefined}
        >
          <option value="" selected={country === ""}>
            Choose a country
          </option>
          {COUNTRIES.map((c) => (
            <option value={c.code} selected={c.code === country}>
              {c.name}
            </option>
          ))}
        </select>
        {errors.country ? (
          <p class="field-error" id="ship-country-error">
            {errors.country}
          </p>
        ) : null}
      </div>
    </fieldset>
  );
}

/** The address as lines of text (escaped like all text: never HTML). */
export function AddressText({ address }: { address: ShippingAddress }) {
  const lines = [
    address.name,
    address.line1,
    address.line2,
    [address.postalCode, address.city].filter(Boolean).join(" "),
    countryName(address.country),
  ].filter(Boolean);
  return (
    <address class="shipping-address">
      {lines.map((line, i) => (
        <>
          {i > 0 ? <br /> : null}
          {line}
        </>
      ))}
    </address>
  );
}

/**
 * A receipt's shipping section: shipped (with tracking), or the address with a form to give or correct it
 * until the seller ships. Works without JavaScript (a plain form post that comes back to the receipt).
 */
export function ShippingSection(props: ShippingProps) {
  return (
    <section class="receipt-shipping" id="shipping" aria-labelledby="shipping-title">
      <h2 id="shipping-title" class="receipt-kicker">
        {props.shippedAt ? "On its way" : "Shipping"}
      </h2>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      {props.shippedAt ? (
        <p>
          Shipped to:
          {props.trackingUrl ? (
            <>
              {" "}
              <a href={props.trackingUrl} rel="noopener noreferrer nofollow">
                Track your parcel
              </a>
            </>
          ) : null}
        </p>
      ) : null}
      {props.address && !props.editable ? <AddressText address={props.address} /> : null}
      {props.editable ? (
        <form method="post" action={props.action} class="address-form">
          {props.address ? null : (
            <p class="notice warn" id="address-missing">
              The seller needs your address to send your order.
            </p>
          )}
          <AddressFields address={props.address} values={props.values} errors={props.errors} />
          <button type="submit" class="big">
            {props.address ? "Save changes" : "Save address"}
          </button>
          <p class="hint">You can correct it here until the seller ships your order.</p>
        </form>
      ) : null}
    </section>
  );
}
