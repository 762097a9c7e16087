import type { ShopFront } from "../../src/domain/catalog/storefront";
import type { Drop } from "../../src/domain/types";
import { Layout } from "../layout";
import { shopHref } from "./links";
/**
 * The verified-fans step of a drop page (issue 17 §1): "Get ready: confirm your email". A fan types their
 * address, gets a 6-digit code by email and types it; the page keeps the proof in an HttpOnly cookie, so at
 * go-live buying is one click. Works without JS (plain form posts); with htmx each step swaps in place.
 */

export interface VerifyStepProps {
  slug: string;
  /** Which step: the address to send a code to, or the code that was sent. */
  step: "email" | "code";
  email: string;
  idempotencyKey: string;
  /** What went wrong with the last try, said to the fan. */
  error?: string | undefined;
}

export function VerifyStep(props: VerifyStepProps) {
  const action = `/d/${props.slug}/verify`;
  return (
    <form
      id="buy-form"
      class="buy card verify"
      method="post"
      action={action}
      hx-post={action}
      hx-target="this"
      hx-swap="outerHTML"
      hx-disabled-elt="find button"
      data-step={props.step}
    >
      <input type="hidden" name="idempotencyKey" value={props.idempotencyKey} />
      <input type="hidden" name="step" value={props.step} />
      <p class="result-title">Get ready: confirm your email</p>
      {props.step === "email" ? (
        <>
          <p class="hint">
            This drop is for verified fans: one per email address. Confirm yours now, and at go-live buying is
            one click.
          </p>
          <label for="verify-email">Your email</label>
          <input
            id="verify-email"
            name="email"
            type="email"
            inputmode="email"
            autocomplete="email"
            autocapitalize="none"
            spellcheck={false}
            required
            maxlength={200}
            value={props.email}
            {...(props.error ? { "aria-invalid": "true", "aria-describedby": "verify-error" } : {})}
          />
        </>
      ) : (
        <>
          <input type="hidden" name="email" value={props.email} />
          <p class="hint">
            We emailed a 6-digit code to <strong>{props.email}</strong>. It works for 10 minutes.
          </p>
          <label for="verify-code">Code</label>
          <input
            id="verify-code"
            name="code"
            type="text"
            inputmode="numeric"
            autocomplete="one-time-code"
            pattern="[0-9]{6}"
            maxlength={6}
            required
            {...(props.error ? { "aria-invalid": "true", "aria-describedby": "verify-error" } : {})}
          />
        </>
      )}
      {props.error ? (
        <p id="verify-error" class="field-error" role="status" data-outcome="verify_error">
          {props.error}
        </p>
      ) : null}
      <button id="verify-button" type="submit" class="big">
        {props.step === "email" ? "Email me a code" : "Confirm"}
      </button>
      {props.step === "code" ? (
        <p class="hint">
          <a href={`/d/${props.slug}`}>Use another email or send a new code</a>
        </p>
      ) : null}
    </form>
  );
}

/** "Email me at go-live" on an upcoming drop's page (issue 17 §4), or what became of the fan's signup. */
export type NotifyMeState =
  | { kind: "form"; email: string; error?: string | undefined }
  | { kind: "sent"; confirmed: boolean };

export function NotifyMe({ slug, state }: { slug: string; state: NotifyMeState }) {
  const action = `/d/${slug}/notify`;
  if (state.kind === "sent") {
    return (
      <div id="notify-me" class="notify-me" role="status" data-outcome="notify_sent">
        {state.confirmed ? (
          <p>You are on the list: we will email you once, when this drop goes live.</p>
        ) : (
          <p>Check your inbox: click the link we sent to confirm, and we will email you once at go-live.</p>
        )}
      </div>
    );
  }
  return (
    <form
      id="notify-me"
      class="notify-me"
      method="post"
      action={action}
      hx-post={action}
      hx-target="this"
      hx-swap="outerHTML"
      hx-disabled-elt="find button"
    >
      <label for="notify-email">Email me at go-live</label>
      <div class="notify-row">
        <input
          id="notify-email"
          name="email"
          type="email"
          autocomplete="email"
          autocapitalize="none"
          spellcheck={false}
          required
          maxlength={200}
          value={state.email}
          {...(state.error ? { "aria-invalid": "true", "aria-describedby": "notify-error" } : {})}
        />
        <button type="submit">Notify me</button>
      </div>
      {state.error ? (
        <p id="notify-error" class="field-error">
          {state.error}
        </p>
      ) : null}
    </form>
  );
}

/** The page a notify-me confirm link opens. */
export function NotifyConfirmedPage({ drop, shop }: { drop: Drop; shop: ShopFront }) {
  return (
    <Layout
      title={`${drop.title}: you are on the list`}
      styles={["fan.css"]}
      homeHref={shopHref(shop)}
      shop={shop}
    >
      <div class="fan-message" data-outcome="notify_confirmed">
        <h1>You are on the list</h1>
        <p>
          We will email you once, when <a href={`/d/${drop.slug}`}>{drop.title}</a> goes live.
        </p>
      </div>
    </Layout>
  );
}
