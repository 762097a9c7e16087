import type { Seller } from "../../src/domain/types";
import { Layout } from "../layout";
import { CsrfField } from "./fields";
import type { SellerShell } from "./shell";

export interface AccountPageProps extends SellerShell {
  seller: Seller;
  /** A key just made by rotation. It exists only in this response: the database keeps its hash. */
  newApiKey?: string | undefined;
}

export function AccountPage({ seller, newApiKey, csrfToken }: AccountPageProps) {
  return (
    <Layout title="Account" sellerName={seller.name} csrfToken={csrfToken} scripts={["dashboard.js"]}>
      <div class="narrow">
        <h1>Account</h1>
        <dl class="card facts">
          <dt>Shop name</dt>
          <dd id="seller-name">{seller.name}</dd>
          <dt>Email</dt>
          <dd id="seller-email">{seller.email}</dd>
        </dl>
        <h2 id="api-key-heading">API key</h2>
        <section class="card" aria-labelledby="api-key-heading">
          {newApiKey ? (
            <div class="notice ok" role="status" id="new-key">
              <p>
                <strong>Your new API key.</strong> Copy it now: it is shown only this once. The old key no
                longer works.
              </p>
              <label for="api-key">API key</label>
              <div class="share-row">
                <input id="api-key" type="text" readonly value={newApiKey} class="mono" />
                <button type="button" id="copy-key" class="secondary" data-copy-from="api-key" hidden>
                  Copy key
                </button>
              </div>
              <p class="hint" id="copy-key-status" role="status" />
            </div>
          ) : (
            <p>
              Use an API key to create drops and read orders from your own code (
              <code>Authorization: Bearer &lt;key&gt;</code>). We keep only a hash of it, so it cannot be
              shown again; make a new one if you need it.
            </p>
          )}
          <details class="danger-zone" id="rotate-api-key">
            <summary>Rotate the API key…</summary>
            <p>
              A new key is made and shown once. The current key stops working at once: every script or
              integration that uses it fails until you give it the new one.
            </p>
            <form method="post" action="/seller/account/api-key" id="rotate-api-key-form">
              <CsrfField token={csrfToken} />
              <button type="submit" class="danger" data-pending-label="Rotating…">
                Yes, replace my API key
              </button>
            </form>
          </details>
        </section>
      </div>
    </Layout>
  );
}
