import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { brandStylesheetUrl } from "../src/domain/catalog/brand";
import type { ShopFront } from "../src/domain/catalog/storefront";
import { hueClassOf, initialsOf } from "./fan/product-image";

export interface LayoutProps {
  title: string;
  /** Extra scripts this page needs, by file name under /static. */
  scripts?: string[];
  /** Whether the page uses htmx (and its SSE extension). */
  htmx?: boolean;
  /** Shown in the top bar when a seller is signed in. */
  sellerName?: string | undefined;
  /** CSRF token for the sign-out form when a seller is signed in. */
  csrfToken?: string | undefined;
  children?: Child;
  /** Extra stylesheets this page needs, by file name under /static (the fan pages' fan.css). */
  styles?: string[];
  /** Extra tags for <head>, e.g. a fan page's Open Graph tags. */
  head?: Child;
  /** Where the logo leads; fan pages send fans to the shop, never to the seller sign-up at "/". */
  homeHref?: string;
  /**
   * The shop a fan page belongs to: its logo and name lead the top bar, its accent colours the page, and
   * Dropfront is one quiet line in the footer.
   */
  shop?: ShopFront | undefined;
}

/** The shop's logo, or its initials on its colour: the mark at the head of every fan page. */
export function ShopMark({ shop, size }: { shop: ShopFront; size: "small" | "large" }) {
  const logo = shop.brand.logo;
  const px = size === "small" ? 40 : 96;
  if (logo) {
    return (
      <img
        class={`shop-mark shop-mark-${size}`}
        src={logo.sources[0]?.url ?? logo.url}
        alt=""
        width={px}
        height={px}
      />
    );
  }
  return (
    <span
      class={`shop-mark shop-mark-${size} placeholder ${shop.brand.accent ? "accented" : hueClassOf(shop.name)}`}
      aria-hidden="true"
    >
      {initialsOf(shop.name)}
    </span>
  );
}

function ShopBar({ shop }: { shop: ShopFront }) {
  return (
    <header class="topbar shop-bar">
      <a class="shop-home" href={`/s/${shop.slug}`}>
        <ShopMark shop={shop} size="small" />
        <span class="shop-home-name">{shop.name}</span>
      </a>
    </header>
  );
}

/** "Moth Tee · Night Owl" on a fan page (its tab and bookmarks carry the shop), "Drops · Dropfront Live" else. */
function titleOf({ title, shop }: LayoutProps): string {
  if (!shop) return `${title} · Dropfront Live`;
  return title === shop.name ? title : `${title} · ${shop.name}`;
}

/** The page shell: one stylesheet, deferred scripts, no fonts or third-party requests. */
export function Layout(props: LayoutProps) {
  // The doctype keeps browsers out of quirks mode; JSX cannot express it, so it is written raw.
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          {/* A fan page is the shop's: its tab and bookmarks carry the shop's name, not ours. */}
          <title>{titleOf(props)}</title>
          <link rel="stylesheet" href="/static/app.css" />
          {(props.styles ?? []).map((name) => (
            <link rel="stylesheet" href={`/static/${name}`} />
          ))}
          {props.shop?.brand.accent ? (
            <link rel="stylesheet" href={brandStylesheetUrl(props.shop.brand.accent)} />
          ) : null}
          {props.head ?? null}
          {/* No favicon file: an empty icon spares every page a 404 round trip. */}
          <link rel="icon" href="data:," />
          {/* The CSP allows no inline style, so htmx must not inject its indicator <style>. */}
          {props.htmx ? <meta name="htmx-config" content='{"includeIndicatorStyles":false}' /> : null}
          {props.htmx ? <script src="/static/htmx.min.js" defer /> : null}
          {props.htmx ? <script src="/static/sse.min.js" defer /> : null}
          {(props.scripts ?? []).map((name) => (
            <script src={`/static/${name}`} defer />
          ))}
        </head>
        <body>
          <a class="skip" href="#main">
            Skip to content
          </a>
          {props.shop ? (
            <ShopBar shop={props.shop} />
          ) : (
            <header class="topbar">
              <a class="brand" href={props.homeHref ?? "/"}>
                Dropfront <span>Live</span>
              </a>
              {props.sellerName ? (
                <nav aria-label="Seller">
                  <a href="/seller/drops">Drops</a>
                  <a href="/seller/shop">Shop</a>
                  <a href="/seller/webhooks">Webhooks</a>
                  <a href="/seller/account">{props.sellerName}</a>
                  <form method="post" action="/seller/sign-out" class="inline">
                    <input type="hidden" name="csrf" value={props.csrfToken ?? ""} />
                    <button type="submit" class="link">
                      Sign out
                    </button>
                  </form>
                </nav>
              ) : null}
            </header>
          )}
          <main id="main">{props.children}</main>
          {props.shop ? (
            <footer class="site-footer">
              <p>Sold on Dropfront Live</p>
            </footer>
          ) : null}
        </body>
      </html>
    </>
  );
}
