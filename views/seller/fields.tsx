import type { Child } from "hono/jsx";

/** A form's messages per field name; a field without an entry is fine. */
export type FieldErrors = Partial<Record<string, string>>;
export type FormValues = Partial<Record<string, string>>;

export interface FieldProps {
  name: string;
  label: string;
  values: FormValues;
  errors: FieldErrors;
  type?: string;
  hint?: string;
  required?: boolean;
  autocomplete?: string;
  inputmode?: "decimal" | "numeric" | "email" | "text";
  min?: string;
  maxlength?: number;
  placeholder?: string;
}

/** Ids of the hint and the error, so screen readers read both with the input. */
function describedBy(name: string, hint: unknown, error: unknown): string | undefined {
  const ids = [hint ? `${name}-hint` : "", error ? `${name}-error` : ""].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

export function FieldMessages(props: {
  name: string;
  hint?: string | undefined;
  error?: string | undefined;
}) {
  return (
    <>
      {props.hint ? (
        <p class="hint" id={`${props.name}-hint`}>
          {props.hint}
        </p>
      ) : null}
      {props.error ? (
        <p class="field-error" id={`${props.name}-error`}>
          {props.error}
        </p>
      ) : null}
    </>
  );
}

/** A labelled input with its hint and, after a failed submit, its error and the value the seller typed. */
export function Field(p: FieldProps) {
  const error = p.errors[p.name];
  return (
    <div class="field">
      <label for={p.name}>{p.label}</label>
      <input
        id={p.name}
        name={p.name}
        type={p.type ?? "text"}
        value={p.type === "password" ? undefined : (p.values[p.name] ?? "")}
        required={p.required}
        autocomplete={p.autocomplete}
        inputmode={p.inputmode}
        min={p.min}
        maxlength={p.maxlength}
        placeholder={p.placeholder}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={describedBy(p.name, p.hint, error)}
      />
      <FieldMessages name={p.name} hint={p.hint} error={error} />
    </div>
  );
}

export function CsrfField(props: { token: string }) {
  return <input type="hidden" name="csrf" value={props.token} />;
}

/** A message about the whole form (e.g. wrong password), announced when the page loads. */
export function FormProblem(props: { message?: string | undefined; children?: Child }) {
  if (!props.message) return null;
  return (
    <div class="notice bad" role="alert" id="form-problem">
      {props.message}
    </div>
  );
}
