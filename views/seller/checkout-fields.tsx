import { Field, type FieldErrors, FieldMessages, type FormValues } from "./fields";

/** The hold offered on a fresh form, in minutes: long enough to pay by card with a second step. */
export const DEFAULT_HOLD_MINUTES = "10";

function HoldMinutesField(props: { values: FormValues; errors: FieldErrors; hint: string }) {
  return (
    <Field name="holdMinutes" label="Hold (minutes)" type="number" min="1" inputmode="numeric" {...props} />
  );
}

/**
 * How the drop's wins become orders: "Instant orders" (a win is the sale) or "Checkout with a hold of M
 * minutes" (the unit is held while the fan pays; unpaid, it goes back on sale). Plain radios and a number,
 * so it works without JavaScript. `live` is set once the drop is live: the mode is fixed then, so a
 * checkout drop shows only its hold length (which applies to holds given from then on) and an instant drop
 * shows nothing.
 */
export function CheckoutFields(props: {
  values: FormValues;
  errors: FieldErrors;
  live?: "instant" | "checkout" | undefined;
}) {
  const { values, errors } = props;
  if (props.live === "instant") return null;
  if (props.live === "checkout") {
    return (
      <HoldMinutesField
        values={values}
        errors={errors}
        hint="1 to 60. A new length applies to holds given from now on; holds already given keep their deadline."
      />
    );
  }
  const checkout = values.holdMode === "hold";
  return (
    <fieldset class="orders-mode" id="orders-mode">
      <legend>Orders</legend>
      <label class="check">
        <input type="radio" name="holdMode" value="instant" checked={!checkout} />
        Instant orders: a win is a sale at once
      </label>
      <label class="check">
        <input type="radio" name="holdMode" value="hold" checked={checkout} />
        Checkout with a hold: the winner pays within the minutes below
      </label>
      <FieldMessages name="holdMode" error={errors.holdMode} />
      <HoldMinutesField
        // With instant orders the field is disabled in the browser and not sent: offer the default again.
        values={checkout ? values : { ...values, holdMinutes: values.holdMinutes || DEFAULT_HOLD_MINUTES }}
        errors={errors}
        hint="With checkout: 1 to 60. A unit not paid in time goes back on sale."
      />
    </fieldset>
  );
}

/**
 * "Verified fans only" (issue 17 §1): each buyer confirms an email address with a code first, and the per-fan
 * limit counts that address. A checkbox, fixed once the drop is live (then the form leaves it off).
 */
export function VerifiedFansField(props: {
  values: FormValues;
  fixed?: boolean | undefined;
  error?: string | undefined;
}) {
  if (props.fixed) return null;
  return (
    <fieldset class="verified-fans" id="verified-fans">
      <legend>Who may buy</legend>
      <label class="check">
        <input type="checkbox" name="verifiedFans" value="on" checked={props.values.verifiedFans === "on"} />
        Verified fans only: each buyer confirms their email with a code first, one limit per address
      </label>
      <FieldMessages name="verifiedFans" error={props.error} />
      <p class="hint">
        Stops one person buying a whole drop under made-up names. Fixed once the drop is live.
      </p>
    </fieldset>
  );
}
