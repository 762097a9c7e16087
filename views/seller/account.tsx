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
    <Layout title="Account" sellerName={seller.name} csrfToken={csrfToken}>
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
            <div class="notice ok" role="status">
              <p>
                <strong>Your new API key.</strong> Copy it now: it is shown only this once. The old key no
                longer works.
              </p>
              <label for="api-key">API key</label>
              <input id="api-key" type="text" readonly value={newApiKey} class="mono" />
            </div>
          ) : (
            <p>
              Use an API key to create drops and read orders from your own code (
              <code>Authorization: Bearer &lt;key&gt;</code>). We keep only a hash of it, so it cannot be
              shown again; make a new one if you need it.
            </p>
          )}
          <form method="post" action="/seller/account/api-key" id="rotate-api-key-form">
            <CsrfField token={csrfToken} />
            <button type="submit" class={newApiKey ? "secondary" : undefined}>
              {newApiKey ? "Make another key" : "Make a new API key"}
            </button>
          </form>
        </section>
      </div>
    </Layout>
  );
}
