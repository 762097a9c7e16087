import type { DropStatus } from "../../src/domain/types";
import { CsrfField } from "./fields";

export interface DropControlsProps {
  slug: string;
  status: DropStatus;
  csrfToken: string;
  /** Sent beside the live stats fragment to replace the controls in place (htmx out-of-band swap). */
  outOfBand?: boolean;
}

/** A one-button form posting to one of the drop's lifecycle actions. */
function ActionForm(props: {
  slug: string;
  action: "pause" | "resume" | "cancel";
  csrfToken: string;
  label: string;
  pending: string;
  class?: string;
}) {
  return (
    <form
      method="post"
      action={`/seller/drops/${props.slug}/${props.action}`}
      id={`${props.action}-form`}
      class="inline"
    >
      <CsrfField token={props.csrfToken} />
      <button type="submit" class={props.class} data-pending-label={props.pending}>
        {props.label}
      </button>
    </form>
  );
}

/**
 * What a seller can do to a drop in its current state: edit (terms fixed once live), pause or resume (the
 * kill switch the purchase statement obeys), cancel before go-live (destructive, so it sits behind a
 * disclosure that says what it does: the confirmation works without JavaScript), and export the orders.
 */
export function DropControls({ slug, status, csrfToken, outOfBand }: DropControlsProps) {
  const base = `/seller/drops/${slug}`;
  const cancelled = status === "cancelled";
  return (
    <section
      class="card drop-controls"
      aria-labelledby="controls-heading"
      id="drop-controls"
      data-status={status}
      hx-swap-oob={outOfBand ? "true" : undefined}
    >
      <h2 id="controls-heading" class="visually-hidden">
        Manage this drop
      </h2>
      <div class="control-row">
        {cancelled ? null : (
          <a class="button secondary" href={`${base}/edit`} id="edit-link">
            Edit
          </a>
        )}
        {status === "live" || status === "upcoming" ? (
          <ActionForm
            slug={slug}
            action="pause"
            csrfToken={csrfToken}
            label="Pause sales"
            pending="Pausing…"
            class="warn"
          />
        ) : null}
        {status === "paused" ? (
          <ActionForm
            slug={slug}
            action="resume"
            csrfToken={csrfToken}
            label="Resume sales"
            pending="Resuming…"
          />
        ) : null}
        <a class="button secondary" href={`${base}/fulfilment`} id="orders-link">
          Orders and shipping
        </a>
        <a class="button secondary" href={`${base}/orders.csv`} id="export-link" download>
          Download orders (CSV)
        </a>
      </div>
      {status === "paused" ? (
        <p class="notice warn" id="paused-notice">
          Sales are paused: every purchase is refused until you resume.
        </p>
      ) : null}
      {status === "upcoming" ? (
        <details class="danger-zone" id="cancel-drop">
          <summary>Cancel this drop…</summary>
          <p>
            Cancelling is final: the fan page will say the drop is cancelled and nothing will sell. A live
            drop cannot be cancelled; pause it instead.
          </p>
          <ActionForm
            slug={slug}
            action="cancel"
            csrfToken={csrfToken}
            label="Yes, cancel the drop"
            pending="Cancelling…"
            class="danger"
          />
        </details>
      ) : null}
    </section>
  );
}
