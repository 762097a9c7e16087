import { Layout } from "../layout";
import type { SellerShell } from "./shell";

export function LandingPage(props: SellerShell) {
  return (
    <Layout
      title="Limited drops that never oversell"
      sellerName={props.sellerName}
      csrfToken={props.csrfToken}
    >
      <section class="hero">
        <h1>Sell exactly N. Never N+1.</h1>
        <p class="lead">
          Dropfront Live runs limited drops: set how many units you have and when they go live, share one
          link, and watch fans buy in real time. However many arrive at once, the database sells each unit
          once.
        </p>
        {props.sellerName ? (
          <p class="actions">
            <a class="button" href="/seller/drops">
              Go to your drops
            </a>
          </p>
        ) : (
          <p class="actions">
            <a class="button" href="/seller/sign-up" id="sign-up-link">
              Create a seller account
            </a>
            <a class="button secondary" href="/seller/sign-in" id="sign-in-link">
              Sign in
            </a>
          </p>
        )}
      </section>
      <section class="features" aria-label="How it works">
        <div class="card">
          <h2>Countdown to go-live</h2>
          <p>Fans see the exact second sales open, on your time zone's clock.</p>
        </div>
        <div class="card">
          <h2>Live stock counter</h2>
          <p>Every fan page shows what is left, updated as units sell.</p>
        </div>
        <div class="card">
          <h2>A per-unit audit trail</h2>
          <p>Unit, order, fan and time for every sale, so the books always add up to N.</p>
        </div>
      </section>
    </Layout>
  );
}
