import { formatCountdown } from "./countdown";
import { Hold, type HoldProps } from "./hold";
import { formatPrice } from "./price";
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

/** One size (variant) on offer in the buy form; a sold-out one stays listed, struck through. */
export interface SizeOption {
  id: string;
  /** The variant's position: what the live counter's per-size stock is keyed by (stock.tsx sizesLeft). */
  position?: number | undefined;
  name: string;
  soldOut: boolean;
  /** Its own price when it differs from the drop's, already formatted ("$31.00"). */
  price?: string | undefined;
}

/** The drop's sizes and the one the fan picked; absent or one size: no picker. */
export interface SizeChoice {
  options: SizeOption[];
  chosen?: string | undefined;
}

/**
 * The picker's sizes from a drop's variants and their stock (none for a drop of one variant).
 * @example sizeChoice(drop, view.variants, form.variant)
 */
export function sizeChoice(
  drop: { priceCents: number; currency: string; variantCount?: number | undefined },
  variants: readonly {
    id: string;
    position?: number;
    name: string;
    remaining: number;
    priceCents: number | null;
  }[],
  chosen?: string | undefined,
): SizeChoice | undefined {
  if (!drop.variantCount || variants.length < 2) return undefined;
  return {
    chosen,
    options: variants.map((v) => ({
      id: v.id,
      position: v.position,
      name: v.name,
      soldOut: v.remaining <= 0,
      price:
        v.priceCents === null || v.priceCents === drop.priceCents
          ? undefined
          : formatPrice(v.priceCents, drop.currency),
    })),
  };
}

/**
 * The buy box: the same component renders inside the drop page and as the htmx answer to a buy, which
 * replaces the form (outerHTML). Form states keep the fan's input and the page view's idempotency key,
 * so a resubmit, a double click or an automatic retry can only ever replay the same purchase.
 */
export function Purchase({
  slug,
  state,
  verifiedAs,
  sizes,
}: {
  slug: string;
  state: PurchaseState;
  /** On a verified-fans drop: the address the fan proved, shown in place of the identity field. */
  verifiedAs?: string | undefined;
  /** On a drop of several sizes: the picker's options (sold-out ones struck through). */
  sizes?: SizeChoice | undefined;
}) {
  const form = { slug, verifiedAs };
  const BuyForm = (props: Omit<BuyFormProps, "sizes">) => <BuyFormBox {...props} sizes={sizes} />;
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
  sizes?: SizeChoice | undefined;
}

/**
 * The size picker: a radio group (a fieldset and its legend) with every size, sold-out ones shown struck
 * through and disabled rather than hidden, so the fan sees what there was. Works without JS.
 */
function SizePicker({ options, chosen }: SizeChoice) {
  const chosenId = options.find((o) => !o.soldOut && (o.id === chosen || o.name === chosen))?.id;
  return (
    <fieldset class="size-picker">
      <legend>Size</legend>
      <div class="size-options">
        {options.map((option, i) => (
          <label
            class={option.soldOut ? "size-option sold-out" : "size-option"}
            for={`size-${i}`}
            data-position={option.position}
            data-name={option.name}
          >
            <input
              id={`size-${i}`}
              type="radio"
              name="variant"
              value={option.id}
              required
              disabled={option.soldOut}
              checked={option.id === chosenId}
            />
            {option.soldOut ? (
              <span class="size-name">
                <s>{option.name}</s>
                <span class="visually-hidden"> (sold out)</span>
              </span>
            ) : (
              <span class="size-name">{option.name}</span>
            )}
            {option.price ? <span class="size-price">{option.price}</span> : null}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function BuyFormBox(props: BuyFormProps) {
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
      {props.sizes && props.sizes.options.length > 1 ? <SizePicker {...props.sizes} /> : null}
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
