import { formatCountdown } from "./countdown";
import { Hold, type HoldProps } from "./hold";
import { Receipt, type ReceiptProps } from "./receipt";
import { VerifyStep, type VerifyStepProps } from "./verify";

export type BoughtState = { kind: "bought" } & ReceiptProps;

/** What the fan's side of a buy looks like right now: a form to fill (again), or a final answer. */
export type PurchaseState =
  | { kind: "ready"; fan: string; idempotencyKey: string; live: boolean }
  | {
      kind: "invalid";
      fan: string;
      idempotencyKey: string;
      fanError: string | undefined;
      formError: string | undefined;
    }
  | {
      kind: "not_live";
      fan: string;
      idempotencyKey: string;
      startsInMs: number;
      /** Re-post by itself this long after showing, when go-live is only moments away. */
      autoRetryMs: number | undefined;
    }
  | {
      kind: "busy";
      fan: string;
      idempotencyKey: string;
      /** Busy answers in a row for this key; the next re-post waits longer. */
      retry: number;
      autoRetryMs: number | undefined;
    }
  | BoughtState
  | ({ kind: "held" } & HoldProps)
  | { kind: "sold_out"; quantity: number }
  | { kind: "limit_reached"; maxPerFan: number }
  /** The shop paused sales after the page loaded: the same purchase can be sent again when they resume. */
  | { kind: "paused"; fan: string; idempotencyKey: string }
  | { kind: "cancelled" }
  /** A verified-fans drop and a fan not verified yet: the email step first (verify.tsx). */
  | ({ kind: "verify" } & Omit<VerifyStepProps, "slug">);

/**
 * The buy box: the same component renders inside the drop page and as the htmx answer to a buy, which
 * replaces the form (outerHTML). Form states keep the fan's input and the page view's idempotency key,
 * so a resubmit, a double click or an automatic retry can only ever replay the same purchase.
 */
export function Purchase({
  slug,
  state,
  verifiedAs,
}: {
  slug: string;
  state: PurchaseState;
  /** On a verified-fans drop: the address the fan proved, shown in place of the identity field. */
  verifiedAs?: string | undefined;
}) {
  const form = { slug, verifiedAs };
  switch (state.kind) {
    case "verify":
      return <VerifyStep slug={slug} {...state} />;
    case "bought":
      return <Receipt {...state} />;
    case "held":
      return <Hold {...state} />;
    case "sold_out":
      // Said once, by the drop's state above (the answer swaps it in too): here only for screen readers.
      return (
        <p id="purchase-result" class="visually-hidden" role="status" tabindex={-1} data-outcome="sold_out">
          Sold out:{" "}
          {state.quantity === 1 ? "the only unit is taken." : `all ${state.quantity} units are taken.`}
        </p>
      );
    case "limit_reached":
      return (
        <div
          id="purchase-result"
          class="notice warn"
          role="status"
          tabindex={-1}
          data-outcome="limit_reached"
        >
          <p class="result-title">Limit reached</p>
          <p>At most {state.maxPerFan} per fan, and you have them.</p>
        </div>
      );
    case "cancelled":
      return (
        <div id="purchase-result" class="notice" role="status" tabindex={-1} data-outcome="cancelled">
          <p class="result-title">This drop was cancelled</p>
          <p>The shop called it off before it went on sale. Nothing was bought.</p>
        </div>
      );
    case "paused":
      return (
        <BuyForm
          {...form}
          fan={state.fan}
          idempotencyKey={state.idempotencyKey}
          live
          message={{
            tone: "warn",
            text: "Sales are paused for a moment — keep this page open",
            outcome: "paused",
          }}
        />
      );
    case "ready":
      return <BuyForm {...form} fan={state.fan} idempotencyKey={state.idempotencyKey} live={state.live} />;
    case "invalid":
      return (
        <BuyForm
          {...form}
          fan={state.fan}
          idempotencyKey={state.idempotencyKey}
          live
          fanError={state.fanError}
          message={state.formError ? { tone: "bad", text: state.formError, outcome: "invalid" } : undefined}
        />
      );
    case "not_live":
      return (
        <BuyForm
          {...form}
          fan={state.fan}
          idempotencyKey={state.idempotencyKey}
          live
          autoRetryMs={state.autoRetryMs}
          message={{
            tone: "warn",
            text: `Not live yet — starts in ${formatCountdown(state.startsInMs)}`,
            outcome: "not_live",
          }}
        />
      );
    case "busy":
      return (
        <BuyForm
          {...form}
          fan={state.fan}
          idempotencyKey={state.idempotencyKey}
          live
          retry={state.retry}
          autoRetryMs={state.autoRetryMs}
          message={{
            tone: "warn",
            text:
              state.autoRetryMs === undefined
                ? "Busy — too many buyers at once. Please try again."
                : `Busy — trying again in ${Math.ceil(state.autoRetryMs / 1000)} s`,
            outcome: "busy",
          }}
        />
      );
  }
}

interface BuyFormProps {
  slug: string;
  verifiedAs?: string | undefined;
  fan: string;
  idempotencyKey: string;
  /** Before go-live the button waits disabled; drop.js switches it on at the countdown's end. */
  live: boolean;
  fanError?: string | undefined;
  message?: { tone: "bad" | "warn"; text: string; outcome: string } | undefined;
  retry?: number | undefined;
  autoRetryMs?: number | undefined;
}

function BuyForm(props: BuyFormProps) {
  const action = `/d/${props.slug}/buy`;
  const trigger =
    props.autoRetryMs === undefined ? {} : { "hx-trigger": `submit, load delay:${props.autoRetryMs}ms` };
  return (
    <form
      id="buy-form"
      class="buy card"
      method="post"
      action={action}
      hx-post={action}
      hx-target="this"
      hx-swap="outerHTML"
      hx-disabled-elt="find button"
      {...trigger}
    >
      <input type="hidden" name="idempotencyKey" value={props.idempotencyKey} />
      {props.retry === undefined ? null : <input type="hidden" name="retry" value={String(props.retry)} />}
      {props.verifiedAs ? (
        <p class="verified-as" data-verified-as={props.verifiedAs}>
          Buying as <strong>{props.verifiedAs}</strong> <span class="verified-mark">verified</span>
        </p>
      ) : (
        <>
          <label for="fan">Your email or handle</label>
          <input
            id="fan"
            name="fan"
            type="text"
            inputmode="email"
            autocomplete="email"
            autocapitalize="none"
            spellcheck={false}
            required
            maxlength={200}
            value={props.fan}
            {...(props.fanError ? { "aria-invalid": "true", "aria-describedby": "fan-error" } : {})}
          />
        </>
      )}
      {props.fanError ? (
        <p id="fan-error" class="field-error">
          {props.fanError}
        </p>
      ) : null}
      {props.message ? (
        <p
          id="purchase-result"
          class={`notice ${props.message.tone}`}
          role="status"
          tabindex={-1}
          data-outcome={props.message.outcome}
        >
          {props.message.text}
        </p>
      ) : null}
      <button
        id="buy-button"
        type="submit"
        class="big"
        disabled={!props.live}
        {...(props.live ? {} : { "data-opens-at-live": "" })}
      >
        {props.live ? "Buy now" : "Opens at go-live"}
      </button>
      {props.live ? null : (
        <noscript>
          <p class="hint">Reload this page when the countdown ends to buy.</p>
        </noscript>
      )}
    </form>
  );
}
