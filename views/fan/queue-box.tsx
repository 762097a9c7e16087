import { formatStartsAt } from "./countdown";

/** What became of a fan's draw entry or waitlist place, as the page shows it. */
export type QueueFanState =
  | { status: "entered" }
  | { status: "waiting"; position: number }
  | {
      status: "won" | "offered";
      unitNo: number;
      expiresAt: Date;
      payUrl: string;
      /** An instant drop's offer: claimed with one button on its page, not paid. */
      claim?: boolean | undefined;
    }
  | { status: "paid"; unitNo: number; receiptUrl: string }
  | { status: "lapsed" }
  | { status: "lost" };

export type QueueBoxProps =
  | {
      kind: "draw";
      slug: string;
      dropId: string;
      entriesCloseAt: Date;
      /** Entries are taken now (live, before the close). */
      open: boolean;
      drawn: boolean;
      commitment: string;
      publicValueSource: string | null;
      /** The verified fan's entry, when the page knows the fan and they entered. */
      fan?: QueueFanState | undefined;
      /** That entry's reference in the public record, and its rank once drawn. */
      entry?: { ref: string; rank: number | null } | undefined;
      /** The page knows no verified fan: entering needs the email step first. */
      needsVerification: boolean;
      message?: { tone: "warn" | "info"; text: string } | undefined;
      /** Where the box re-fetches itself when the queue moves (drop.js), while the fan's outcome is open. */
      refreshUrl?: string | undefined;
    }
  | {
      kind: "waitlist";
      slug: string;
      /** On a verified-fans drop the fan is the confirmed address, not a field. */
      askFan: boolean;
      fanValue: string;
      fan?: QueueFanState | undefined;
      message?: { tone: "warn" | "info"; text: string } | undefined;
      refreshUrl?: string | undefined;
    };

/** A fan whose outcome can still change as the queue moves: their box listens for the stream's queue tick. */
const OPEN_STATES = new Set(["entered", "waiting", "won", "offered"]);
export const isOpenOutcome = (fan: QueueFanState | undefined): boolean =>
  fan !== undefined && OPEN_STATES.has(fan.status);
/**
 * A box whose fan still waits for an outcome re-fetches itself when the drop's queue tick moves; the stream's
 * address rides along for a page that has none open (a sold-out instant drop's page, final when it loaded).
 */
const refreshOf = (props: {
  slug: string;
  fan?: QueueFanState | undefined;
  refreshUrl?: string | undefined;
}) =>
  props.refreshUrl && isOpenOutcome(props.fan)
    ? { "data-refresh": props.refreshUrl, "data-stream": `/d/${props.slug}/stream` }
    : {};

function FanState({ state, kind }: { state: QueueFanState; kind: "draw" | "waitlist" }) {
  switch (state.status) {
    case "entered":
      return <p class="result-title">You're in the draw. Good luck!</p>;
    case "waiting":
      return (
        <p class="result-title">
          {kind === "draw" ? "Not drawn yet" : "You're on the waitlist"}: number {state.position} in line.
          We'll email you if a unit comes to you.
        </p>
      );
    case "won":
    case "offered":
      return (
        <>
          <p class="result-title">
            {state.status === "won" ? "You won" : "A unit came back for you"}: unit #{state.unitNo} is held
            for you.
          </p>
          <p>
            It's yours: {state.claim ? "claim" : "pay"} within the hold, before{" "}
            <time datetime={state.expiresAt.toISOString()}>{formatStartsAt(state.expiresAt)}</time>, or it
            goes to the next fan.
          </p>
          <a class="button big" href={state.payUrl}>
            {state.claim ? "Claim it" : "Pay now"}
          </a>
        </>
      );
    case "paid":
      return (
        <p class="result-title">
          Unit #{state.unitNo} is yours. <a href={state.receiptUrl}>Your receipt</a>
        </p>
      );
    case "lapsed":
      return <p class="result-title">Your hold ran out, and the unit went to the next fan.</p>;
    case "lost":
      return (
        <p class="result-title">
          {kind === "draw" ? "Not drawn this time" : "No unit came back for you"}: every unit has gone.
        </p>
      );
  }
}

/**
 * The box a draw drop shows in place of the buy box, and a sold-out first-come drop shows in place of a dead
 * end: the draw explained in two sentences with the fan's entry, or "Join the waitlist" with their place.
 * The same component is the htmx answer to entering or joining (it replaces itself).
 */
export function QueueBox(props: QueueBoxProps) {
  if (props.kind === "draw") {
    const action = `/d/${props.slug}/entries`;
    return (
      <section id="queue-box" class="buy card" aria-labelledby="queue-title" {...refreshOf(props)}>
        <h2 id="queue-title">Enter the draw</h2>
        <p>
          Enter before{" "}
          <time datetime={props.entriesCloseAt.toISOString()}>{formatStartsAt(props.entriesCloseAt)}</time>
          {". "}Then every entry is ranked by a keyed hash of a secret seed we committed to before entries
          opened
          {props.publicValueSource ? ` and of ${props.publicValueSource}` : ""}, and the seed is published so
          anyone can check the ranking. Winners get a unit held for them to pay for; a unit not paid for goes
          to the next entry in the ranking.
        </p>
        {props.fan ? <FanState state={props.fan} kind="draw" /> : null}
        {props.message ? (
          <p class={`notice ${props.message.tone}`} role="status">
            {props.message.text}
          </p>
        ) : null}
        {!props.fan && props.open && props.needsVerification ? (
          <p class="hint">
            Confirm your email on this page first: the draw takes one entry per confirmed address.
          </p>
        ) : null}
        {!props.fan && props.open && !props.needsVerification ? (
          <form method="post" action={action} hx-post={action} hx-target="#queue-box" hx-swap="outerHTML">
            <button type="submit" class="big">
              Enter the draw
            </button>
          </form>
        ) : null}
        {!props.open && !props.fan ? (
          <p class="hint">{props.drawn ? "The draw has run." : "Entries are not open now."}</p>
        ) : null}
        {props.entry ? (
          <p class="hint" id="entry-ref">
            Your entry's reference: <code class="mono">{props.entry.ref}</code>
            {props.entry.rank !== null ? `, ranked ${props.entry.rank}` : ""}. Find it in the public draw
            record below.
          </p>
        ) : null}
        <p class="hint">
          Commitment <code>{props.commitment.slice(0, 16)}…</code> ·{" "}
          <a href={`/api/drops/${props.dropId}/draw`}>the public draw record</a>
        </p>
      </section>
    );
  }
  const action = `/d/${props.slug}/waitlist`;
  return (
    <section id="queue-box" class="buy card" aria-labelledby="queue-title" {...refreshOf(props)}>
      <h2 id="queue-title">Join the waitlist</h2>
      <p>
        Units come back when a hold runs out or an order is refunded. Join the line: the next unit back is
        offered to the first fan in it.
      </p>
      {props.fan ? <FanState state={props.fan} kind="waitlist" /> : null}
      {props.message ? (
        <p class={`notice ${props.message.tone}`} role="status">
          {props.message.text}
        </p>
      ) : null}
      {props.fan ? null : (
        <form method="post" action={action} hx-post={action} hx-target="#queue-box" hx-swap="outerHTML">
          {props.askFan ? (
            <>
              <label for="waitlist-fan">Your email</label>
              <input
                id="waitlist-fan"
                name="fan"
                type="text"
                inputmode="email"
                autocomplete="email"
                autocapitalize="none"
                spellcheck={false}
                required
                maxlength={200}
                value={props.fanValue}
              />
            </>
          ) : null}
          <button type="submit" class="big">
            Join the waitlist
          </button>
        </form>
      )}
    </section>
  );
}
