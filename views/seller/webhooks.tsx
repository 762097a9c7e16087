import type { DeliveryLogEntry, WebhookEndpoint } from "../../src/repository";
import { Layout } from "../layout";
import { CsrfField } from "./fields";
import type { SellerShell } from "./shell";

export interface WebhooksPageProps extends SellerShell {
  endpoints: { endpoint: WebhookEndpoint; deliveries: DeliveryLogEntry[] }[];
  eventTypes: readonly string[];
  /** A secret just made (new endpoint or rotation): shown in this response only. */
  newSecret?: { endpointId: string; secret: string } | undefined;
  /** Why the new endpoint was refused, with what was typed. */
  problem?: { url: string; message: string } | undefined;
}

const STATUS_LABEL: Record<string, string> = {
  pending: "Retrying",
  delivered: "Delivered",
  failed: "Failed",
  skipped: "Skipped",
};

const time = (at: Date | null) =>
  at ? (
    <time datetime={at.toISOString()} data-local-time>
      {at.toISOString().slice(0, 19).replace("T", " ")} UTC
    </time>
  ) : (
    "—"
  );

/** The seller's webhook endpoints: add one (its secret shown once), test, rotate, delete, and each one's delivery log. */
export function WebhooksPage(props: WebhooksPageProps) {
  const { csrfToken } = props;
  return (
    <Layout title="Webhooks" sellerName={props.sellerName} csrfToken={csrfToken}>
      <h1>Webhooks</h1>
      <p class="muted">
        We post every sale and every change to your drops to these addresses, signed with the endpoint's
        secret (Standard Webhooks), and retry for three days until your server answers 2xx.
      </p>
      {props.newSecret ? (
        <div class="notice ok" role="status" id="new-secret">
          <p>
            <strong>The signing secret.</strong> Copy it now: it is shown only this once.
          </p>
          <input
            type="text"
            readonly
            value={props.newSecret.secret}
            class="mono"
            aria-label="Signing secret"
          />
        </div>
      ) : null}
      <section class="card" aria-labelledby="add-endpoint">
        <h2 id="add-endpoint">Add an endpoint</h2>
        <form method="post" action="/seller/webhooks" id="add-endpoint-form">
          <CsrfField token={csrfToken} />
          <label for="webhook-url">URL</label>
          <input
            id="webhook-url"
            name="url"
            type="url"
            required
            placeholder="https://example.com/hooks"
            value={props.problem?.url ?? ""}
            aria-invalid={props.problem ? "true" : undefined}
            aria-describedby={props.problem ? "webhook-url-error" : undefined}
          />
          {props.problem ? (
            <p class="field-error" id="webhook-url-error">
              {props.problem.message}
            </p>
          ) : null}
          <fieldset>
            <legend>Events (none ticked: all)</legend>
            {props.eventTypes.map((type) => (
              <label class="check">
                <input type="checkbox" name={`event:${type}`} value="on" />
                <span class="mono">{type}</span>
              </label>
            ))}
          </fieldset>
          <button type="submit" data-pending-label="Adding…">
            Add endpoint
          </button>
        </form>
      </section>
      {props.endpoints.length === 0 ? <p id="no-endpoints">No endpoints yet.</p> : null}
      {props.endpoints.map(({ endpoint, deliveries }) => (
        <section class="card" id={`endpoint-${endpoint.id}`} aria-label={endpoint.url}>
          <h2 class="mono">{endpoint.url}</h2>
          <p>
            {endpoint.disabledAt ? (
              <span class="badge paused">Disabled: {endpoint.disabledReason}</span>
            ) : (
              <span class="badge live">Active</span>
            )}{" "}
            {endpoint.events ? endpoint.events.join(", ") : "All events"}
          </p>
          <div class="actions">
            <form method="post" action={`/seller/webhooks/${endpoint.id}/test`} class="inline">
              <CsrfField token={csrfToken} />
              <button type="submit" class="secondary" data-pending-label="Sending…">
                Send a test event
              </button>
            </form>
            <form method="post" action={`/seller/webhooks/${endpoint.id}/rotate`} class="inline">
              <CsrfField token={csrfToken} />
              <button type="submit" class="secondary">
                Rotate secret
              </button>
            </form>
            <details class="danger-zone">
              <summary>Delete endpoint…</summary>
              <p>Nothing more is sent to this address; deliveries waiting for a retry are dropped.</p>
              <form method="post" action={`/seller/webhooks/${endpoint.id}/delete`}>
                <CsrfField token={csrfToken} />
                <button type="submit" class="danger">
                  Yes, delete this endpoint
                </button>
              </form>
            </details>
          </div>
          {deliveries.length === 0 ? (
            <p class="muted">Nothing sent yet.</p>
          ) : (
            <div class="table-wrap">
              <table class="deliveries">
                <caption class="visually-hidden">Deliveries to {endpoint.url}, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Event</th>
                    <th scope="col">Status</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Last answer</th>
                    <th scope="col">Next attempt</th>
                    <th scope="col">
                      <span class="visually-hidden">Replay</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {deliveries.map((d) => (
                    <tr id={`delivery-${d.id}`}>
                      <td class="mono">{d.type}</td>
                      <td>{STATUS_LABEL[d.status] ?? d.status}</td>
                      <td>{d.attempts}</td>
                      <td>{d.lastStatus ? `HTTP ${d.lastStatus}` : (d.lastError ?? "—")}</td>
                      <td>{time(d.nextAttemptAt)}</td>
                      <td>
                        <form
                          method="post"
                          action={`/seller/webhooks/${endpoint.id}/deliveries/${d.id}/replay`}
                          class="inline"
                        >
                          <CsrfField token={csrfToken} />
                          <button type="submit" class="link">
                            Replay
                          </button>
                        </form>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      ))}
    </Layout>
  );
}
