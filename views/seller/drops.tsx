import type { SellerDrops } from "../../src/domain/books/dashboard";
import { Layout } from "../layout";
import { formatMoney, formatNumber, formatUtcMinute, STATUS_LABEL, sellThrough } from "./format";
import type { SellerShell } from "./shell";

export interface DropsPageProps extends SellerShell {
  list: SellerDrops;
}

export function DropsPage({ list, ...shell }: DropsPageProps) {
  return (
    <Layout
      title="Your drops"
      sellerName={shell.sellerName}
      csrfToken={shell.csrfToken}
      scripts={["dashboard.js"]}
    >
      <div class="page-head">
        <h1>Your drops</h1>
        <a class="button" href="/seller/drops/new" id="new-drop-link">
          New drop
        </a>
      </div>
      <p id="total-revenue" class="muted">
        Revenue:{" "}
        {list.revenue.length ? (
          list.revenue.map((r, i) => (
            <>
              {i > 0 ? ", " : ""}
              <b>{formatMoney(r.revenueCents, r.currency)}</b>
            </>
          ))
        ) : (
          <b>{formatMoney(0, "USD")}</b>
        )}{" "}
        across all drops (rehearsals not counted).
      </p>
      {list.drops.length === 0 ? (
        <div class="card empty-state" id="no-drops">
          <h2>No drops yet</h2>
          <p class="muted">Create one, share its link, and watch it sell here, unit by unit.</p>
          <a class="button" href="/seller/drops/new" id="empty-new-drop">
            New drop
          </a>
        </div>
      ) : (
        // A table from 640 px, one card per drop below (app.css .stack-on-phone). The wrapper can scroll
        // sideways on a narrow desktop window, so it takes keyboard focus and has a name.
        <section class="table-wrap" tabindex={0} aria-label="Your drops">
          <table id="drops" class="stack-on-phone drops-list">
            <caption class="visually-hidden">Your drops, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Drop</th>
                <th scope="col">Status</th>
                <th scope="col">Sold</th>
                <th scope="col">Revenue</th>
                <th scope="col">Go-live</th>
              </tr>
            </thead>
            <tbody>
              {list.drops.map((d) => (
                <tr id={`drop-${d.drop.slug}`}>
                  <td class="drop-title">
                    <a href={`/seller/drops/${d.drop.slug}`}>{d.drop.title}</a>
                  </td>
                  <td data-label="Status">
                    <span class={`badge ${d.status}`}>{STATUS_LABEL[d.status]}</span>
                  </td>
                  <td data-label="Sold" class="num">
                    {formatNumber(d.sold)} of {formatNumber(d.drop.quantity)} (
                    {sellThrough(d.sold, d.drop.quantity)})
                  </td>
                  <td data-label="Revenue" class="num">
                    {formatMoney(d.revenueCents, d.drop.currency)}
                  </td>
                  <td data-label="Go-live">
                    <time datetime={d.drop.startsAt.toISOString()} data-local-time>
                      {formatUtcMinute(d.drop.startsAt)}
                    </time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </Layout>
  );
}
