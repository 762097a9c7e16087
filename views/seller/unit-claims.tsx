import type { UnitClaim } from "../../src/repository/checkout/holds";

const STATE_LABEL: Record<UnitClaim["status"], string> = {
  held: "Held",
  paid: "Paid",
  expired: "Expired, back in stock",
  released: "Released, back in stock",
  refunded: "Paid late, refunded, back in stock",
  placed: "Claimed (a waitlist offer)",
};

const utc = (at: Date) => at.toISOString().replace("T", " ").slice(0, 19);

const claimsUrl = (slug: string) => `/seller/drops/${slug}/unit-claims`;

/** Where the unit history of a hold drop loads on its dashboard (htmx, after the page). */
export function UnitClaimsSlot({ slug }: { slug: string }) {
  return (
    <section id="unit-claims" class="card" hx-get={claimsUrl(slug)} hx-trigger="load" hx-swap="outerHTML">
      <h2>Units and holds</h2>
      <p>
        <a href={claimsUrl(slug)}>Each unit's holds and payments</a>
      </p>
    </section>
  );
}

/**
 * Each unit's history on a hold drop: every claim in order (a unit that came back shows its next buyer on
 * the next line), with its state now. Times are UTC, from the database.
 */
export function UnitClaims({ claims, limit }: { claims: UnitClaim[]; limit: number }) {
  return (
    <section id="unit-claims" class="card" aria-labelledby="unit-claims-heading">
      <h2 id="unit-claims-heading">Units and holds</h2>
      <p class="hint">
        Every claim of every unit: held, then paid, or expired / released / refunded and back in stock, then
        sold again.{claims.length >= limit ? ` The first ${limit} claims are shown.` : ""}
      </p>
      {/* The scrolling table is a region of its own: named apart from its card (axe: landmark-unique). */}
      <section class="table-wrap" tabindex={0} aria-label="Units and holds table">
        <table class="stack-on-phone">
          <thead>
            <tr>
              <th scope="col">Unit</th>
              <th scope="col">State</th>
              <th scope="col">Fan</th>
              <th scope="col">Claimed (UTC)</th>
              <th scope="col">Settled (UTC)</th>
            </tr>
          </thead>
          <tbody>
            {claims.length === 0 ? (
              <tr>
                <td colspan={5}>No unit claimed yet.</td>
              </tr>
            ) : (
              claims.map((claim) => (
                <tr data-unit={String(claim.unitNo)} data-state={claim.status}>
                  <td>#{claim.unitNo}</td>
                  <td>{STATE_LABEL[claim.status]}</td>
                  <td>{claim.fan}</td>
                  <td>{utc(claim.claimedAt)}</td>
                  <td>{claim.settledAt ? utc(claim.settledAt) : "—"}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </section>
    </section>
  );
}
