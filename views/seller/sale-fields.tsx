import { Field, type FieldErrors, FieldMessages, type FormValues } from "./fields";

/**
 * How the drop sells (docs/draws.md): first come, first served (the default), or a draw among the fans who
 * enter before a close. A draw needs checkout with a hold (winners pay within it) and takes one entry per
 * confirmed email address. Plain radios and fields, so it works without JavaScript. New drops only.
 */
export function SaleFields({ values, errors }: { values: FormValues; errors: FieldErrors }) {
  const draw = values.sale === "draw";
  return (
    <fieldset class="sale-mode" id="sale-mode">
      <legend>How it sells</legend>
      <label class="check">
        <input type="radio" name="sale" value="first_come" checked={!draw} />
        First come, first served (a waitlist opens by itself once it sells out)
      </label>
      <label class="check">
        <input type="radio" name="sale" value="draw" checked={draw} />A draw: confirmed fans enter until the
        close, then a draw anyone can check picks the winners
      </label>
      <FieldMessages name="sale" error={errors.sale ?? errors.verifiedFans} />
      <Field
        name="entriesCloseAt"
        label="Entries close (same time zone as the go-live)"
        type="datetime-local"
        values={values}
        errors={errors}
        hint="With a draw: after the go-live. Winners are drawn a little after the close."
      />
      <Field
        name="drawPublicValue"
        label="Public value to mix in (optional)"
        values={values}
        errors={errors}
        maxlength={200}
        hint="With a draw: a value nobody knows until after the close, e.g. “the EuroMillions numbers of 12 December”. You publish it once the entry list is frozen (30 seconds after the close); the draw waits for it."
      />
    </fieldset>
  );
}
